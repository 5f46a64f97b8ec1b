<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>HistoryWindow</name>
    <message numerus="yes">
        <location filename="../qt/history_window.py" line="+191"/>
        <source>{name}: the last %n days</source>
        <translation>
            <numerusform>{name}: the last day</numerusform>
            <numerusform>{name}: the last %n days</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message numerus="yes">
        <location filename="../qt/preferences.py" line="+214"/>
        <source>%n of {total} daemons shown</source>
        <translation>
            <numerusform>%n of {total} daemons shown</numerusform>
            <numerusform>%n of {total} daemons shown</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n daemons</source>
        <translation>
            <numerusform>%n daemon</numerusform>
            <numerusform>%n daemons</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>outcome</name>
    <message numerus="yes">
        <location filename="../core/outcome_words.py" line="+16"/>
        <source>The %n steps already done were rolled back.</source>
        <translation>
            <numerusform>The step already done was rolled back.</numerusform>
            <numerusform>The %n steps already done were rolled back.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Rolling back the %n steps already done was incomplete ({errors}).</source>
        <translation>
            <numerusform>Rolling back the step already done was incomplete ({errors}).</numerusform>
            <numerusform>Rolling back the %n steps already done was incomplete ({errors}).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>summary</name>
    <message numerus="yes">
        <location filename="../core/daemon_words.py" line="+27"/>
        <source>%n sockets</source>
        <extracomment>``5 sockets``: marked with a literal count, which pyside6-lupdate needs (core/words.py).</extracomment>
        <translation>
            <numerusform>%n socket</numerusform>
            <numerusform>%n sockets</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>units</name>
    <message numerus="yes">
        <location filename="../core/words.py" line="+41"/>
        <source>%n days</source>
        <translation>
            <numerusform>%n day</numerusform>
            <numerusform>%n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n wakes</source>
        <translation>
            <numerusform>%n wake</numerusform>
            <numerusform>%n wakes</numerusform>
        </translation>
    </message>
</context>
</TS>
