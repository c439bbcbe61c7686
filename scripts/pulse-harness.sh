#!/usr/bin/env bash
# Test harness for live capture without audio hardware (ENVIRONMENT.md, "live capture without
# hardware"): a private PulseAudio daemon with two null sinks, `mic` and `sysout`, each kept busy
# by a low-latency keep-alive stream so that their monitors deliver samples continuously, and a
# stereo null sink `call` whose two channels are the sources `callmic` (left) and `callsys` (right):
# one stereo player feeds both capture channels from one stream, so their relative timing is the
# capture's alone (two players would each start and underrun on their own schedule).
#
#   bash scripts/pulse-harness.sh start DIR   # prints PULSE_SERVER=unix:DIR/run/pulse/native
#   bash scripts/pulse-harness.sh stop DIR
#
# The default sink is `sysout` (so the system channel is `sysout.monitor`) and the default source
# `mic.monitor`. Exit code ≠ 0 (and a message on stderr) when the daemon cannot start.
set -euo pipefail
cmd=${1:?usage: pulse-harness.sh start|stop DIR}
dir=${2:?usage: pulse-harness.sh start|stop DIR}
mkdir -p "$dir/home" "$dir/run"
chmod 700 "$dir/run"
export HOME="$dir/home" XDG_RUNTIME_DIR="$dir/run" LC_ALL=C
export PULSE_SERVER="unix:$dir/run/pulse/native"

case "$cmd" in
start)
  command -v pulseaudio >/dev/null || { echo "pulse-harness: pulseaudio is not installed" >&2; exit 2; }
  pulseaudio -n --daemonize=yes --exit-idle-time=-1 --use-pid-file=yes \
    --log-target=file:"$dir/pulse.log" \
    --load=module-native-protocol-unix \
    --load="module-null-sink sink_name=mic rate=16000 channels=1 sink_properties=device.description=mic" \
    --load="module-null-sink sink_name=sysout rate=16000 channels=1 sink_properties=device.description=sysout" \
    --load="module-null-sink sink_name=call rate=16000 channels=2 channel_map=front-left,front-right sink_properties=device.description=call" \
    --load="module-remap-source source_name=callmic master=call.monitor channels=1 master_channel_map=front-left channel_map=mono remix=no" \
    --load="module-remap-source source_name=callsys master=call.monitor channels=1 master_channel_map=front-right channel_map=mono remix=no" \
    2>>"$dir/pulse.log" || { echo "pulse-harness: pulseaudio failed to start (log: $dir/pulse.log)" >&2; tail -5 "$dir/pulse.log" >&2; exit 3; }
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl info >/dev/null 2>&1 || { echo "pulse-harness: pulseaudio does not answer" >&2; exit 3; }
  pactl set-default-sink sysout
  pactl set-default-source mic.monitor
  for sink in mic:1 sysout:1 call:2; do
    pacat --playback --latency-msec=20 --raw --format=s16le --rate=16000 --channels="${sink#*:}" \
      --device="${sink%%:*}" /dev/zero >/dev/null 2>&1 &
    echo $! >"$dir/keepalive-${sink%%:*}.pid"
  done
  sleep 2.5
  echo "PULSE_SERVER=$PULSE_SERVER"
  ;;
stop)
  for f in "$dir"/keepalive-*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  pulseaudio --kill 2>/dev/null || true
  ;;
*)
  echo "usage: pulse-harness.sh start|stop DIR" >&2
  exit 2
  ;;
esac
