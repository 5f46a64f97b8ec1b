"""The demo: sudo bash tools/demo/demo.sh (screenshots into artifacts/)."""
