#!/bin/sh
# Start a training command in the background in its own session (so its scheduling autogroup holds only it),
# with nice -5 for the process and its autogroup; output to RUNDIR.out.
#   sh model/train/launch.sh RUNDIR.out <command...>
out=$1; shift
setsid nohup "$@" > "$out" 2>&1 < /dev/null &
pid=$!
sleep 1
echo -5 > /proc/$pid/autogroup 2>/dev/null || true
renice -n -5 -p $pid > /dev/null 2>&1 || true
echo $pid
