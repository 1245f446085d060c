#!/bin/sh
# The TCP settings every corpus script starts from. Scripts run it as a
# backquoted command; on the kernel target it runs inside the run's private
# network namespace (every key below is per-namespace), and the reference
# target reads it line by line into its profile.

ip tcp_metrics flush all > /dev/null 2>&1

sysctl -q net.ipv4.tcp_timestamps=1
sysctl -q net.ipv4.tcp_sack=1
sysctl -q net.ipv4.tcp_window_scaling=1
sysctl -q net.ipv4.tcp_rmem="4096 131072 6291456"
sysctl -q net.ipv4.tcp_wmem="4096 16384 4194304"
sysctl -q net.ipv4.tcp_syn_retries=6
sysctl -q net.ipv4.tcp_synack_retries=5
sysctl -q net.ipv4.tcp_syncookies=1
sysctl -q net.ipv4.tcp_ecn=0
sysctl -q net.ipv4.tcp_slow_start_after_idle=0
# Reno can be chosen inside any namespace; the host default may be bbr.
sysctl -q net.ipv4.tcp_congestion_control=reno
