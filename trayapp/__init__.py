"""trayapp: a tray applet for socket-activated systemd daemons."""

__version__ = "0.1.0"
APP_ID = "io.github.trayapp.TrayApp"
