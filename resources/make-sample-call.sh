#!/usr/bin/env bash
# Builds resources/sample-call.ogg: a synthetic two-channel call made here with espeak-ng, sox and
# ffmpeg (no third-party audio). Channel 0 (mic) = the local user; channel 1 (system) = two remote
# speakers. The mic also picks up the remote side at -24 dB (speaker bleed) and both channels get
# low-level noise. Ground truth goes to resources/sample-call.rttm.
# Usage: bash resources/make-sample-call.sh   (needs espeak-ng, sox, ffmpeg)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# turn: channel voice text
turns=(
  "mic|en-us+m3|Hello, this is Sam from the support desk. How can I help you today?"
  "system|en-gb+f4|Hi Sam. I ordered a router last week and it still has not arrived."
  "mic|en-us+m3|I am sorry to hear that. Could you give me the order number, please?"
  "system|en-gb+f4|Sure, it is four seven two nine, one one eight."
  "system|en-us+m7|And this is her husband. The tracking page has said pending for six days."
  "mic|en-us+m3|Thank you both. I can see the parcel was held at the depot. I will send it today."
  "system|en-gb+f4|Great, thank you so much for your help."
  "mic|en-us+m3|You are welcome. Have a nice evening."
)
pos=0
: > sample-call.rttm.tmp
declare -a mic_parts sys_parts
i=0
for t in "${turns[@]}"; do
  IFS='|' read -r ch voice text <<<"$t"
  espeak-ng -v "$voice" -s 150 -w "$tmp/t$i.raw.wav" "$text"
  sox "$tmp/t$i.raw.wav" -r 16000 -c 1 -b 16 "$tmp/t$i.wav" norm -3
  dur=$(soxi -D "$tmp/t$i.wav")
  spk=$([ "$ch" = mic ] && echo you || echo "${voice}")
  printf 'SPEAKER sample-call 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n' "$pos" "$dur" "$spk" >> sample-call.rttm.tmp
  # place the turn on its channel, silence on the other
  sox "$tmp/t$i.wav" "$tmp/c$i.wav" pad "$pos"
  if [ "$ch" = mic ]; then mic_parts+=("$tmp/c$i.wav"); else sys_parts+=("$tmp/c$i.wav"); fi
  pos=$(echo "$pos + $dur + 0.6" | bc -l)
  i=$((i + 1))
done
total=$(echo "$pos + 0.5" | bc -l)
sox -n -r 16000 -c 1 -b 16 "$tmp/silence.wav" trim 0 "$total"
sox -m -v 1 "$tmp/silence.wav" $(printf -- '-v 1 %s ' "${mic_parts[@]}") "$tmp/mic_clean.wav" trim 0 "$total"
sox -m -v 1 "$tmp/silence.wav" $(printf -- '-v 1 %s ' "${sys_parts[@]}") "$tmp/sys_clean.wav" trim 0 "$total"
sox -n -r 16000 -c 1 -b 16 "$tmp/noise1.wav" synth "$total" brownnoise vol 0.01
sox -n -r 16000 -c 1 -b 16 "$tmp/noise2.wav" synth "$total" pinknoise vol 0.005
sox "$tmp/sys_clean.wav" "$tmp/bleed.wav" vol -24dB
sox -m -v 0.7 "$tmp/mic_clean.wav" -v 1 "$tmp/bleed.wav" -v 1 "$tmp/noise1.wav" "$tmp/mic.wav"
sox -m -v 0.7 "$tmp/sys_clean.wav" -v 1 "$tmp/noise2.wav" "$tmp/sys.wav"
ffmpeg -hide_banner -loglevel error -y -i "$tmp/mic.wav" -i "$tmp/sys.wav" \
  -filter_complex "[0:a][1:a]join=inputs=2:channel_layout=stereo[a]" -map "[a]" \
  -c:a libopus -b:a 32k -ar 16000 sample-call.ogg 2>/dev/null || \
ffmpeg -hide_banner -loglevel error -y -i "$tmp/mic.wav" -i "$tmp/sys.wav" \
  -filter_complex "[0:a][1:a]join=inputs=2:channel_layout=stereo[a]" -map "[a]" -c:a libopus -b:a 32k sample-call.ogg
sort -k4 -n sample-call.rttm.tmp > sample-call.rttm
rm sample-call.rttm.tmp
echo "wrote resources/sample-call.ogg ($(printf '%.1f' "$total") s) and resources/sample-call.rttm"
