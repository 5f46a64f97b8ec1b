<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>HistoryWindow</name>
    <message>
        <location filename="../qt/history_window.py" line="+55"/>
        <source>running / not seen ending</source>
        <translation>läuft / Ende nicht gesehen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Peak memory is the most trayapp saw the daemon use while it ran. Memory saved is what it would have held had it run all the time, over the hours it slept.</source>
        <translation>Höchster Speicher ist das Meiste, was trayapp den Dienst während eines Laufs belegen sah. Gesparter Speicher ist, was er belegt hätte, wäre er die ganze Zeit gelaufen, über die Stunden, die er schlief.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>History of {name} - trayapp</source>
        <translation>Verlauf von {name} – trayapp</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>History of {name} (your user manager) - trayapp</source>
        <translation>Verlauf von {name} (Ihre Benutzerdienste) – trayapp</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>Woke</source>
        <translation>Geweckt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Wake-up</source>
        <translation>Aufwachzeit</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ran</source>
        <translation>Lief</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Peak memory</source>
        <translation>Höchster Speicher</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ended</source>
        <translation>Ende</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Woken by</source>
        <translation>Geweckt von</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recent runs</source>
        <translation>Letzte Läufe</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message numerus="yes">
        <location line="+48"/>
        <source>{name}: the last %n days</source>
        <translation>
            <numerusform>{name}: der letzte Tag</numerusform>
            <numerusform>{name}: die letzten %n Tage</numerusform>
        </translation>
    </message>
    <message>
        <location line="+5"/>
        <source>(recorded since {time})</source>
        <translation>(aufgezeichnet seit {time})</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>of the time not running</source>
        <translation>der Zeit nicht gelaufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>wake</source>
        <translation>Weckruf</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>wakes</source>
        <translation>Weckrufe</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>median wake-up time</source>
        <translation>mittlere Aufwachzeit</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>memory saved against always-on</source>
        <translation>Speicher gespart gegenüber „immer an“</translation>
    </message>
</context>
<context>
    <name>Menu</name>
    <message>
        <location filename="../qt/menus.py" line="+49"/>
        <source>{manager} manager: {text}</source>
        <translation>Dienstverwalter {manager}: {text}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Stops in {time}</source>
        <translation>Hält an in {time}</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Keep running</source>
        <translation>Weiterlaufen lassen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep running until I stop it</source>
        <translation>Weiterlaufen lassen, bis ich ihn anhalte</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>History…</source>
        <translation>Verlauf …</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>No socket-activated daemons found</source>
        <translation>Keine Socket-aktivierten Dienste gefunden</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>System plumbing ({count}): Preferences…</source>
        <translation>Systeminfrastruktur ({count}): Einstellungen…</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>No daemons shown: pick some under Show in menu</source>
        <translation>Keine Dienste angezeigt: wählen Sie welche unter „Im Menü zeigen“</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{key}: not found</source>
        <translation>{key}: nicht gefunden</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The icon says running when one of these runs; change it in Preferences</source>
        <translation>Das Symbol zeigt „läuft“, wenn einer davon läuft; ändern Sie das in den Einstellungen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Show in menu</source>
        <translation>Im Menü zeigen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Preferences…</source>
        <translation>Einstellungen …</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Status window</source>
        <translation>Statusfenster</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
</context>
<context>
    <name>Preferences</name>
    <message>
        <location filename="../qt/daemon_rows.py" line="+43"/>
        <source>Daemon</source>
        <translation>Dienst</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Manager</source>
        <translation>Verwalter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show in menu</source>
        <translation>Im Menü zeigen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Notify</source>
        <translation>Benachrichtigen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop when idle</source>
        <translation>Bei Leerlauf anhalten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>On battery</source>
        <translation>Im Akkubetrieb</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Daemons</source>
        <translation>Dienste</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>{key}: not found on this machine now</source>
        <translation>{key}: derzeit auf diesem Rechner nicht vorhanden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>yours</source>
        <translation>Ihre</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>system</source>
        <translation>System</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Show {name} in the menu</source>
        <translation>{name} im Menü zeigen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Notify about {name}</source>
        <translation>Über {name} benachrichtigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Notify when it wakes up, stops or fails</source>
        <translation>Benachrichtigen, wenn er aufwacht, anhält oder fehlschlägt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <location line="+22"/>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location line="-21"/>
        <source>Stop {name} after this many idle minutes</source>
        <translation>{name} nach so vielen Minuten Leerlauf anhalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop it after this many minutes without clients; its socket stays</source>
        <translation>Nach so vielen Minuten ohne Clients anhalten; sein Socket bleibt</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>half</source>
        <translation>halb</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop {name} after this many idle minutes on battery</source>
        <translation>{name} im Akkubetrieb nach so vielen untätigen Minuten anhalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>On battery: half of the idle time, or these minutes; 0 never stops it on battery</source>
        <translation>Im Akkubetrieb: die halbe Leerlaufzeit oder diese Minuten; 0 hält ihn im Akkubetrieb nie an</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <location filename="../qt/preferences_pages.py" line="+42"/>
        <source>Starts trayapp from your desktop&apos;s autostart folder. The alternative is the systemd user unit (systemctl --user enable trayapp.service); use one or the other: with both, the second copy only finds the first and exits.</source>
        <translation>Startet trayapp über den Autostart-Ordner Ihrer Arbeitsumgebung. Die Alternative ist die systemd-Benutzer-Unit (systemctl --user enable trayapp.service); nutzen Sie nur eines davon: mit beiden findet die zweite Kopie nur die erste und beendet sich.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the on-demand daemons (always-on ones running is normal)</source>
        <translation>die Dienste „bei Bedarf“ (dass Dienste „immer an“ laufen, ist normal)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>every daemon shown in the menu</source>
        <translation>jeden im Menü gezeigten Dienst</translation>
    </message>
    <message>
        <location filename="../qt/preferences.py" line="+75"/>
        <source>trayapp Preferences</source>
        <extracomment>Emitted with the new Settings when the user presses OK.</extracomment>
        <translation>trayapp-Einstellungen</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Daemons</source>
        <translation>Dienste</translation>
    </message>
    <message>
        <location filename="../qt/preferences_pages.py" line="+14"/>
        <source>Filter by name</source>
        <translation>Nach Namen filtern</translation>
    </message>
    <message>
        <location filename="../qt/preferences.py" line="-3"/>
        <source>Preferences pages</source>
        <translation>Seiten der Einstellungen</translation>
    </message>
    <message>
        <location filename="../qt/preferences_pages.py" line="+1"/>
        <source>Filter daemons by name</source>
        <translation>Dienste nach Namen filtern</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Show system plumbing</source>
        <translation>Systeminfrastruktur zeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Infrastructure such as dbus, journald and udevd, which nobody switches by hand</source>
        <translation>Infrastruktur wie dbus, journald und udevd, die niemand von Hand umschaltet</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Add:</source>
        <translation>Hinzufügen:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>system</source>
        <translation>System</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>yours (--user)</source>
        <translation>Ihre (--user)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Manager of the daemon to add</source>
        <translation>Verwalter des hinzuzufügenden Dienstes</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>a service, such as podman or cups.service</source>
        <translation>ein Dienst, etwa podman oder cups.service</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name of the daemon to add</source>
        <translation>Name des hinzuzufügenden Dienstes</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The icon shows running for:</source>
        <translation>Das Symbol zeigt „läuft“ für:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>With no on-demand daemon shown, the icon follows them all. Failures show whichever you choose.</source>
        <translation>Wird kein Dienst „bei Bedarf“ gezeigt, folgt das Symbol allen. Fehler zeigt es in jedem Fall.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Start trayapp when I log in</source>
        <translation>trayapp bei der Anmeldung starten</translation>
    </message>
    <message>
        <location filename="../qt/preferences.py" line="+8"/>
        <source>General</source>
        <translation>Allgemein</translation>
    </message>
    <message>
        <location line="+156"/>
        <source>type the name of a service, such as podman</source>
        <translation>geben Sie den Namen eines Dienstes ein, etwa podman</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>name the service that {unit} starts, such as {guess}</source>
        <translation>nennen Sie den Dienst, den {unit} startet, etwa {guess}</translation>
    </message>
    <message>
        <location line="-67"/>
        <source>Cannot add {name!r}: {why}</source>
        <translation>{name!r} kann nicht hinzugefügt werden: {why}</translation>
    </message>
    <message numerus="yes">
        <location line="+24"/>
        <source>%n of {total} daemons shown</source>
        <translation>
            <numerusform>%n von {total} Diensten gezeigt</numerusform>
            <numerusform>%n von {total} Diensten gezeigt</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n daemons</source>
        <translation>
            <numerusform>%n Dienst</numerusform>
            <numerusform>%n Dienste</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusNotes</name>
    <message>
        <location filename="../qt/status_notes.py" line="+26"/>
        <source>Kept running ({name}): {why}</source>
        <translation>Weiterlaufen gelassen ({name}): {why}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>History: {problem}</source>
        <translation>Verlauf: {problem}</translation>
    </message>
</context>
<context>
    <name>StatusWindow</name>
    <message>
        <location filename="../qt/window.py" line="+57"/>
        <source>Your desktop shows no tray icons, so trayapp runs in this window. On GNOME, install and enable the AppIndicator extension (Debian/Ubuntu: gnome-shell-extension-appindicator), then start trayapp again.</source>
        <translation>Ihre Arbeitsumgebung zeigt keine Symbole in der Kontrollleiste, daher läuft trayapp in diesem Fenster. Unter GNOME installieren und aktivieren Sie die Erweiterung AppIndicator (Debian/Ubuntu: gnome-shell-extension-appindicator) und starten trayapp dann neu.</translation>
    </message>
    <message>
        <location filename="../qt/window_line.py" line="+79"/>
        <source>History…</source>
        <translation>Verlauf …</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Keep running</source>
        <translation>Weiterlaufen lassen</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Stop {name}</source>
        <translation>{name} anhalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start {name}</source>
        <translation>{name} starten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>History of {name}</source>
        <translation>Verlauf von {name}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep {name} running</source>
        <translation>{name} weiterlaufen lassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mode of {name}</source>
        <translation>Betriebsart von {name}</translation>
    </message>
    <message>
        <location filename="../qt/window.py" line="+33"/>
        <source>trayapp</source>
        <extracomment>Closing the window quits, unless a tray icon has appeared since (then it only hides, and the icon brings it back).</extracomment>
        <translation>trayapp</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+79"/>
        <source>No daemons shown: pick some under Show in menu.</source>
        <translation>Keine Dienste angezeigt: wählen Sie welche unter „Im Menü zeigen“.</translation>
    </message>
    <message>
        <location line="-65"/>
        <source>Show in menu</source>
        <translation>Im Menü zeigen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Preferences…</source>
        <translation>Einstellungen …</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>Reading the daemons…</source>
        <translation>Dienste werden gelesen …</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{key}: not found</source>
        <translation>{key}: nicht gefunden</translation>
    </message>
</context>
<context>
    <name>TrayApp</name>
    <message>
        <location filename="../qt/backend.py" line="+64"/>
        <source>trayapp is still starting</source>
        <translation>trayapp startet noch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Try again in a moment.</source>
        <translation>Versuchen Sie es gleich noch einmal.</translation>
    </message>
    <message>
        <location filename="../qt/app.py" line="+129"/>
        <source>The action was cancelled before it finished.</source>
        <translation>Die Aktion wurde abgebrochen, bevor sie fertig war.</translation>
    </message>
    <message>
        <location filename="../qt/backend.py" line="+18"/>
        <source>Not started yet.</source>
        <translation>Noch nicht gestartet.</translation>
    </message>
    <message>
        <location filename="../qt/app.py" line="+29"/>
        <source>No activation history</source>
        <translation>Kein Aktivierungsverlauf</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>trayapp will crash</source>
        <translation>trayapp wird abstürzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>trayapp settings</source>
        <translation>trayapp-Einstellungen</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>trayapp history</source>
        <translation>trayapp-Verlauf</translation>
    </message>
</context>
<context>
    <name>announce</name>
    <message>
        <location filename="../usecases/announce.py" line="+176"/>
        <source>{name} is idle</source>
        <translation>{name} ist untätig</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>It stops in {time} unless you keep it running; the next client wakes it again.</source>
        <translation>Er hält in {time} an, wenn Sie ihn nicht weiterlaufen lassen; der nächste Client weckt ihn wieder.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep running</source>
        <translation>Weiterlaufen lassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Until I stop it</source>
        <translation>Bis ich ihn anhalte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop now</source>
        <translation>Jetzt anhalten</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Idle daemon stopped</source>
        <translation>Untätiger Dienst angehalten</translation>
    </message>
</context>
<context>
    <name>causes</name>
    <message>
        <location filename="../core/causes.py" line="+60"/>
        <source>a process of another user</source>
        <translation>einem Prozess eines anderen Benutzers</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no client</source>
        <translation>keinem Client</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>started</source>
        <translation>gestartet</translation>
    </message>
    <message>
        <location line="-41"/>
        <source>woke</source>
        <extracomment>The events that name a cause, in a sentence. A wake (WOKE) is told more exactly once the lookup answers (``Cause.wakers``): woken by a client, or started with none waiting.</extracomment>
        <translation>aufgewacht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>went back to sleep</source>
        <translation>wieder eingeschlafen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped by trayapp</source>
        <translation>von trayapp angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped by someone else</source>
        <translation>von anderer Seite angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>crashed</source>
        <translation>abgestürzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>crashed ({result})</source>
        <translation>abgestürzt ({result})</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>woken by {who}</source>
        <translation>geweckt von {who}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{what} at {time}</source>
        <translation>{what} um {time}</translation>
    </message>
</context>
<context>
    <name>idle</name>
    <message>
        <location filename="../core/idle.py" line="+214"/>
        <source>{name} has been idle for {window}: it stops in {grace} unless you keep it running. Its socket keeps listening, so the next client wakes it again.</source>
        <extracomment>The named events the idle watcher&apos;s timers follow.</extracomment>
        <translation>{name} ist seit {window} untätig: er hält in {grace} an, wenn Sie ihn nicht weiterlaufen lassen. Sein Socket lauscht weiter, also weckt ihn der nächste Client wieder.</translation>
    </message>
    <message>
        <location filename="../usecases/idlecheck.py" line="+83"/>
        <source>{name} keeps running; trayapp asks again after {window} more without use.</source>
        <translation>{name} läuft weiter; trayapp fragt nach weiteren {window} ohne Nutzung erneut.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{name} keeps running until you stop it; trayapp watches it again once it has slept.</source>
        <translation>{name} läuft weiter, bis Sie ihn anhalten; trayapp beobachtet ihn wieder, sobald er geschlafen hat.</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Stopped {name} after {window} without use. Its socket still listens: the next client wakes it again.</source>
        <translation>{name} wurde nach {window} ohne Nutzung angehalten. Sein Socket lauscht weiter: der nächste Client weckt ihn wieder.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Did not stop idle {name}: {why}</source>
        <translation>Untätiger Dienst {name} wurde nicht angehalten: {why}</translation>
    </message>
</context>
<context>
    <name>notes</name>
    <message>
        <location filename="../core/status_notes.py" line="+54"/>
        <source>Shorter idle times on battery are off: {why}.</source>
        <translation>Kürzere Leerlaufzeiten im Akkubetrieb sind aus: {why}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>On battery: idle daemons stop after the shorter battery times.</source>
        <translation>Im Akkubetrieb: Dienste im Leerlauf halten nach den kürzeren Akku-Zeiten an.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>On mains power: idle daemons stop after the times you set.</source>
        <translation>Am Netzstrom: Dienste im Leerlauf halten nach den eingestellten Zeiten an.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Nothing is stopped before the computer sleeps: {why}.</source>
        <translation>Vor dem Ruhezustand wird nichts angehalten: {why}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Idle on-demand daemons are stopped before the computer sleeps.</source>
        <translation>Dienste bei Bedarf, die im Leerlauf sind, werden vor dem Ruhezustand angehalten.</translation>
    </message>
</context>
<context>
    <name>notices</name>
    <message>
        <location filename="../core/notices.py" line="+92"/>
        <location line="+6"/>
        <source>{name} woke up</source>
        <translation>{name} ist aufgewacht</translation>
    </message>
    <message>
        <location line="-5"/>
        <source>Woken by {who}.</source>
        <translation>Geweckt von {who}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} started</source>
        <translation>{name} wurde gestartet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No client was waiting: a command or another service started it.</source>
        <translation>Kein Client hat gewartet: ein Befehl oder ein anderer Dienst hat ihn gestartet.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Who woke it is not known.</source>
        <translation>Wer ihn geweckt hat, ist nicht bekannt.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Its log: journalctl -u {unit}</source>
        <translation>Sein Protokoll: journalctl -u {unit}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} crashed</source>
        <translation>{name} ist abgestürzt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{name} failed</source>
        <translation>{name} ist fehlgeschlagen</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>It ended with {how}.</source>
        <translation>Er endete mit {how}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>It or one of its sockets failed.</source>
        <translation>Er oder einer seiner Sockets ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{name} went back to sleep</source>
        <translation>{name} schläft wieder</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>It exited on its own; its socket still listens, so the next client wakes it.</source>
        <translation>Er hat sich selbst beendet; sein Socket lauscht weiter, also weckt ihn der nächste Client.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} exited</source>
        <translation>{name} hat sich beendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>It exited on its own, and nothing listens for it now: clients will fail.</source>
        <translation>Er hat sich selbst beendet, und nun lauscht nichts mehr für ihn: Clients werden scheitern.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} was stopped</source>
        <translation>{name} wurde angehalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped outside trayapp; its socket still listens, so the next client wakes it.</source>
        <translation>Außerhalb von trayapp angehalten; sein Socket lauscht weiter, also weckt ihn der nächste Client.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped outside trayapp, and nothing listens for it now: clients will fail.</source>
        <translation>Außerhalb von trayapp angehalten, und nun lauscht nichts mehr für ihn: Clients werden scheitern.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>a signal</source>
        <translation>einem Signal</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a core dump</source>
        <translation>einem Speicherabzug</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>an error code</source>
        <translation>einem Fehlercode</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a timeout</source>
        <translation>einer Zeitüberschreitung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>its watchdog expiring</source>
        <translation>dem Ablauf seines Watchdogs</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the system running out of memory</source>
        <translation>Speichermangel im System</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>too many restarts</source>
        <translation>zu vielen Neustarts</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>missing resources</source>
        <translation>fehlenden Ressourcen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>result {result}</source>
        <translation>dem Ergebnis {result}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Stop now</source>
        <extracomment>The events worth a notification, and what kind of news each is.</extracomment>
        <translation>Jetzt anhalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep always on</source>
        <translation>Immer an lassen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Start again</source>
        <translation>Erneut starten</translation>
    </message>
</context>
<context>
    <name>outcome</name>
    <message numerus="yes">
        <location filename="../core/outcome_words.py" line="+16"/>
        <source>The %n steps already done were rolled back.</source>
        <translation>
            <numerusform>Der schon erledigte Schritt wurde zurückgenommen.</numerusform>
            <numerusform>Die %n schon erledigten Schritte wurden zurückgenommen.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>Rolling back the %n steps already done was incomplete ({errors}).</source>
        <translation>
            <numerusform>Der schon erledigte Schritt konnte nicht vollständig zurückgenommen werden ({errors}).</numerusform>
            <numerusform>Die %n schon erledigten Schritte konnten nicht vollständig zurückgenommen werden ({errors}).</numerusform>
        </translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{name} is now on-demand</source>
        <translation>{name} startet jetzt bei Bedarf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} is now always-on</source>
        <translation>{name} ist jetzt immer an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} stopped</source>
        <translation>{name} angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} started</source>
        <translation>{name} gestartet</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{name} was already on-demand</source>
        <translation>{name} startete schon bei Bedarf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} was already always-on</source>
        <translation>{name} war schon immer an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} was not running</source>
        <translation>{name} lief nicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} was already running</source>
        <translation>{name} lief schon</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Nothing changed.</source>
        <translation>Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>It sleeps until a client connects, and wakes then.</source>
        <translation>Er schläft, bis sich ein Client verbindet, und wacht dann auf.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>It runs now and starts at boot.</source>
        <translation>Er läuft jetzt und startet beim Hochfahren.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Its socket still listens: the next client wakes it.</source>
        <translation>Sein Socket lauscht weiter: der nächste Client weckt ihn.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Nothing listens for it now: clients will fail.</source>
        <translation>Nun lauscht nichts mehr für ihn: Clients werden scheitern.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>It runs until it is stopped or goes back to sleep.</source>
        <translation>Er läuft, bis er angehalten wird oder wieder einschläft.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Could not switch {name} to on-demand</source>
        <translation>{name} konnte nicht auf „bei Bedarf“ umgeschaltet werden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not switch {name} to always-on</source>
        <translation>{name} konnte nicht auf „immer an“ umgeschaltet werden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not stop {name}</source>
        <translation>{name} konnte nicht angehalten werden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not start {name}</source>
        <translation>{name} konnte nicht gestartet werden</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>It sleeps until a client connects to {listen}; trayapp&apos;s proxy then wakes it, passes the connection on to {backend}, and lets it sleep again after {idle} without one.</source>
        <translation>Er schläft, bis sich ein Client mit {listen} verbindet; dann weckt ihn der Proxy von trayapp, reicht die Verbindung an {backend} weiter und lässt ihn nach {idle} ohne Verbindung wieder schlafen.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>trayapp&apos;s proxy is gone.</source>
        <translation>Der Proxy von trayapp ist entfernt.</translation>
    </message>
    <message>
        <location line="+9"/>
        <location line="+70"/>
        <source>Not allowed to change {name}</source>
        <translation>Keine Berechtigung, {name} zu ändern</translation>
    </message>
    <message>
        <location line="-50"/>
        <location line="+49"/>
        <source>{title}: {why}</source>
        <translation>{title}: {why}</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>it is busy ({reasons}). Use --force to stop it anyway. Nothing changed.</source>
        <translation>er ist beschäftigt ({reasons}). Mit --force wird er trotzdem angehalten. Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>trayapp cannot tell whether it is busy ({reasons}), so it did not stop it. Use --force to stop it anyway. Nothing changed.</source>
        <translation>trayapp kann nicht erkennen, ob er beschäftigt ist ({reasons}), und hat ihn daher nicht angehalten. Mit --force wird er trotzdem angehalten. Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>trayapp cannot tell whether {name} is busy ({reasons}), so it was left running; it stops being started at boot and sleeps after its next stop</source>
        <translation>trayapp kann nicht erkennen, ob {name} beschäftigt ist ({reasons}), daher läuft er weiter; er wird nicht mehr beim Systemstart gestartet und schläft nach dem nächsten Anhalten</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{name} is busy ({reasons}), so it was left running; it stops being started at boot and sleeps after its next stop</source>
        <translation>{name} ist beschäftigt ({reasons}) und läuft deshalb weiter; er startet nicht mehr beim Hochfahren und schläft nach seinem nächsten Anhalten</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>step &apos;{step}&apos; failed: {reason}.</source>
        <translation>Schritt „{step}“ ist fehlgeschlagen: {reason}.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Nothing had changed.</source>
        <translation>Es war noch nichts geändert.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Now: {units}.</source>
        <translation>Jetzt: {units}.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>polkit needs to ask for a password, but no polkit authentication agent is running in your session. Start your desktop&apos;s agent (for example polkit-gnome&apos;s or lxpolkit; in a terminal, pkttyagent from the polkitd package), or install a polkit rule (see /usr/share/doc/trayapp/polkit/). Nothing changed.</source>
        <translation>polkit muss nach einem Passwort fragen, aber in Ihrer Sitzung läuft kein polkit-Authentifizierungsagent. Starten Sie den Agenten Ihrer Arbeitsumgebung (etwa den von polkit-gnome oder lxpolkit; im Terminal pkttyagent aus dem Paket polkitd) oder installieren Sie eine polkit-Regel (siehe /usr/share/doc/trayapp/polkit/). Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>polkit would have to ask for a password, and trayapp does not ask for one here (before sleep nobody is there to answer). Nothing changed.</source>
        <translation>polkit müsste nach einem Passwort fragen, und trayapp fragt hier nicht danach (vor dem Ruhezustand ist niemand da, der antwortet). Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>polkit refused on the {manager} manager, or the password prompt was cancelled ({why}). Nothing changed.</source>
        <translation>polkit hat beim Dienstverwalter {manager} abgelehnt, oder die Passwortabfrage wurde abgebrochen ({why}). Nichts wurde geändert.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>there is no unit named {name} in your user manager</source>
        <translation>es gibt keine Unit namens {name} bei Ihren Benutzerdiensten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>there is no unit named {name} on the system manager</source>
        <translation>es gibt keine Unit namens {name} bei den Systemdiensten</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>systemd&apos;s calls also changed {units} (an [Install] Also= of the units switched); trayapp put them back as they were</source>
        <translation>die Aufrufe an systemd haben auch {units} geändert (ein [Install] Also= der umgeschalteten Units); trayapp hat den vorigen Zustand wiederhergestellt</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{name} can no longer be started as {aliases} (an [Install] Alias=, such as a D-Bus activation name, goes with the service&apos;s enablement); clients of its sockets still wake it</source>
        <translation>{name} kann nicht mehr als {aliases} gestartet werden (ein [Install] Alias=, etwa ein D-Bus-Aktivierungsname, hängt an der Aktivierung des Dienstes); Clients seiner Sockets wecken ihn weiterhin</translation>
    </message>
</context>
<context>
    <name>plans</name>
    <message>
        <location filename="../core/plans.py" line="+137"/>
        <source>its unit file only names other units to enable (Also=), and they start it</source>
        <translation>seine Unit-Datei nennt nur andere Units zum Aktivieren (Also=), und diese starten ihn</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>its unit file has no [Install] section: other units pull it in</source>
        <translation>seine Unit-Datei hat keinen Abschnitt [Install]: andere Units ziehen ihn nach</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>a generator made it</source>
        <translation>ein Generator hat ihn erzeugt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>it is a transient unit</source>
        <translation>er ist eine flüchtige Unit</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>{service} is masked; unmask it first (systemctl unmask)</source>
        <translation>{service} ist maskiert; heben Sie die Maskierung zuerst auf (systemctl unmask)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{service} has no socket unit, so it cannot be started on demand</source>
        <translation>{service} hat keine Socket-Unit und kann daher nicht bei Bedarf gestartet werden</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>cannot make {service} on-demand: {why}</source>
        <translation>{service} kann nicht auf „bei Bedarf“ gestellt werden: {why}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>none of {sockets} can wake it after a reboot (no local client socket with an [Install] section), so nothing would listen</source>
        <translation>keiner von {sockets} kann ihn nach einem Neustart wecken (kein lokaler Client-Socket mit Abschnitt [Install]), also würde nichts lauschen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>its sockets</source>
        <translation>seinen Sockets</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>{service} keeps running until it is stopped; it will not start at boot</source>
        <translation>{service} läuft weiter, bis er angehalten wird; beim Hochfahren startet er nicht</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>its unit file state is {state}</source>
        <translation>der Zustand seiner Unit-Datei ist {state}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{service} cannot be enabled to start at boot: {why}</source>
        <translation>{service} kann nicht zum Start beim Hochfahren aktiviert werden: {why}</translation>
    </message>
</context>
<context>
    <name>report</name>
    <message>
        <location filename="../core/report.py" line="+99"/>
        <source>{wakes} in {time}</source>
        <extracomment>A change in what a user sees that names no event (its sockets, warnings, since).</extracomment>
        <translation>{wakes} in {time}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>asleep {share} of the time</source>
        <translation>{share} der Zeit geschlafen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>wakes up in {seconds} s (median)</source>
        <translation>wacht in {seconds} s auf (Median)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>frees about {memory} on average against always-on</source>
        <translation>spart im Mittel etwa {memory} gegenüber „immer an“</translation>
    </message>
</context>
<context>
    <name>runs</name>
    <message>
        <location filename="../core/runs.py" line="+40"/>
        <source>idle stop</source>
        <extracomment>What a run&apos;s last event says of its end, before intents and shutdowns (``end_reason``&apos;s ``seen``); beside core/notices.py&apos;s NEWS and core/causes.py&apos;s CAUSE_WORDS, the other tables keyed by the event&apos;s kind.</extracomment>
        <translation>im Leerlauf angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped by you</source>
        <translation>von Ihnen angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>crashed</source>
        <translation>abgestürzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>shutdown</source>
        <translation>Herunterfahren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>went back to sleep</source>
        <translation>wieder eingeschlafen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped elsewhere or unknown</source>
        <translation>anderswo angehalten oder unbekannt</translation>
    </message>
</context>
<context>
    <name>summary</name>
    <message>
        <location filename="../core/summary.py" line="+76"/>
        <source>Switch to on-demand</source>
        <translation>Auf „bei Bedarf“ umschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Switch to always-on</source>
        <translation>Auf „immer an“ umschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop now</source>
        <translation>Jetzt anhalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start now</source>
        <translation>Jetzt starten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Switching to on-demand</source>
        <translation>Wird auf „bei Bedarf“ umgeschaltet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Switching to always-on</source>
        <translation>Wird auf „immer an“ umgeschaltet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stopping</source>
        <translation>Wird angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Starting</source>
        <translation>Wird gestartet</translation>
    </message>
    <message numerus="yes">
        <location filename="../core/daemon_words.py" line="+27"/>
        <source>%n sockets</source>
        <extracomment>``5 sockets``: marked with a literal count, which pyside6-lupdate needs (core/words.py).</extracomment>
        <translation>
            <numerusform>%n Socket</numerusform>
            <numerusform>%n Sockets</numerusform>
        </translation>
    </message>
    <message>
        <location line="+4"/>
        <source>dormant</source>
        <extracomment>The states and modes as words in a sentence (the enums&apos; values are for JSON).</extracomment>
        <translation>schläft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>starting</source>
        <translation>startet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopping</source>
        <translation>hält an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>on-demand</source>
        <translation>bei Bedarf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>on-demand (proxy)</source>
        <translation>bei Bedarf (Proxy)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>always-on</source>
        <translation>immer an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>manual</source>
        <translation>manuell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>masked</source>
        <translation>maskiert</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Always on</source>
        <extracomment>The modes as the name of a choice (a menu&apos;s radio entry, the window&apos;s mode box).</extracomment>
        <translation>Immer an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On demand</source>
        <translation>Bei Bedarf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Manual</source>
        <translation>Manuell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Masked</source>
        <translation>Maskiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On demand (proxy)</source>
        <translation>Bei Bedarf (Proxy)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Runs all the time, and starts when the computer starts.</source>
        <translation>Läuft die ganze Zeit und startet mit dem Rechner.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sleeps, using no memory, until a program connects to it; then it starts at once, and may go back to sleep when idle.</source>
        <translation>Schläft ohne Speicher zu belegen, bis sich ein Programm verbindet; dann startet er sofort und kann im Leerlauf wieder einschlafen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Starts only when someone starts it, and not at boot.</source>
        <translation>Startet nur, wenn ihn jemand startet, nicht beim Hochfahren.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Masked: nothing can start it until it is unmasked.</source>
        <translation>Maskiert: nichts kann ihn starten, bis die Maskierung aufgehoben ist.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sleeps behind trayapp&apos;s proxy until a program connects; then the proxy starts it and passes the connection on.</source>
        <translation>Schläft hinter dem Proxy von trayapp, bis sich ein Programm verbindet; dann startet der Proxy ihn und reicht die Verbindung weiter.</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>starts at boot, asleep now</source>
        <translation>startet beim Hochfahren, schläft jetzt</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Starts when the computer starts; it does not run now (some daemons exit by themselves when idle), and its socket wakes it again.</source>
        <translation>Startet mit dem Rechner; er läuft gerade nicht (manche Dienste beenden sich im Leerlauf selbst), und sein Socket weckt ihn wieder.</translation>
    </message>
    <message>
        <location filename="../core/summary.py" line="+5"/>
        <source>All dormant</source>
        <extracomment>What the icon says, for its accessible name and the status line.</extracomment>
        <translation>Alle schlafen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A daemon is running</source>
        <translation>Ein Dienst läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Starting or stopping</source>
        <translation>Startet oder hält an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A daemon failed</source>
        <translation>Ein Dienst ist fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not connected to systemd</source>
        <translation>Keine Verbindung zu systemd</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Off: nothing listens for it</source>
        <translation>Aus: nichts wartet auf ihn</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>Icon follows all: {names}</source>
        <translation>Symbol folgt allen: {names}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Icon follows on-demand: {names}</source>
        <translation>Symbol folgt „bei Bedarf“: {names}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Icon follows all (none is on-demand): {names}</source>
        <translation>Symbol folgt allen (keiner startet bei Bedarf): {names}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>asleep: {names}</source>
        <translation>schlafen: {names}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed: {names}</source>
        <translation>fehlgeschlagen: {names}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>off: {names}</source>
        <translation>aus: {names}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Awake: {names}</source>
        <translation>Wach: {names}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <location filename="../core/daemon_words.py" line="+14"/>
        <source>{name} (user)</source>
        <translation>{name} (Benutzer)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{state} for {time}</source>
        <translation>{state} seit {time}</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>{first} and {more} more</source>
        <translation>{first} und {more} weitere</translation>
    </message>
    <message>
        <location filename="../core/summary.py" line="+30"/>
        <source> (since {time})</source>
        <translation> (seit {time})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name}: {state}{since}, {mode}</source>
        <translation>{name}: {state}{since}, {mode}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No daemons shown</source>
        <translation>Keine Dienste angezeigt</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>user manager: {problem}</source>
        <translation>Ihre Benutzerdienste: {problem}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>system manager: {problem}</source>
        <translation>Systemdienste: {problem}</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>{name}: {state}, {mode}</source>
        <translation>{name}: {state}, {mode}</translation>
    </message>
</context>
<context>
    <name>units</name>
    <message numerus="yes">
        <location filename="../core/words.py" line="+41"/>
        <source>%n days</source>
        <translation>
            <numerusform>%n Tag</numerusform>
            <numerusform>%n Tagen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n wakes</source>
        <translation>
            <numerusform>%n Weckruf</numerusform>
            <numerusform>%n Weckrufe</numerusform>
        </translation>
    </message>
    <message>
        <location line="+86"/>
        <location line="+29"/>
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>{n} min</source>
        <translation>{n} min</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{h} h {m} min</source>
        <translation>{h} h {m} min</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{h} h</source>
        <translation>{h} h</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>{n} B</source>
        <translation>{n} B</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>, </source>
        <translation>, </translation>
    </message>
</context>
<context>
    <name>words</name>
    <message>
        <location line="+28"/>
        <source>Did you mean {name}?</source>
        <translation>Meinten Sie {name}?</translation>
    </message>
</context>
</TS>
