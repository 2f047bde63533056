"""Unattended operation: what keeps the kiosk running for months with nobody looking after it.

Small library pieces with small interfaces that the main loop calls: the systemd watchdog
heartbeat (:mod:`.watchdog`), opening and quiet hours (:mod:`.schedule`), the visitor lock-down
filter (:mod:`.lockdown`), the staff PIN and hidden gesture (:mod:`.admin`), the health file for
monitoring (:mod:`.health`), the bounded log file (:mod:`.logfile`) and the technician's
``kiosk doctor`` (:mod:`.doctor`). None of them imports pygame at module level.
"""
