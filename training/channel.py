"""Telephone / VoIP channel paths for encoder v2 (training augmentation and the dev cross-condition protocol).

Each path is an ffmpeg encode -> decode round trip of 16 kHz mono int16 audio, back to 16 kHz. Many clips go through
one ffmpeg pair at once: they are concatenated with 0.3 s of digital silence between them and cut apart again at the
same sample offsets (codec state crossing a gap is negligible; the decoded stream is aligned to the input by
cross-correlation, so codec delay does not shift the cuts). This keeps the cost at two processes per path instead of
two per clip.

Paths (name -> what a call does to the voice):
  ulaw / alaw   300-3400 Hz band limit, 8 kHz, G.711 mu-law / A-law (PSTN)
  gsm           300-3400 Hz, 8 kHz, GSM 06.10 full rate (libgsm; stands in for mobile codecs)
  opus6k/8k     300-3400 Hz, 8 kHz, Opus VoIP 6 / 8 kbit/s (narrow-band VoIP)
  opus12k/16k   16 kHz input, Opus VoIP 12 / 16 kbit/s (wide-band VoIP)
  codec2        8 kHz, Codec2 3200 bit/s (libcodec2; very low-rate radio/VoIP vocoder)
  tel8k         300-3400 Hz band limit and an 8 kHz round trip without a codec
AMR-NB is not offered: Debian's ffmpeg has no AMR-NB encoder (libopencore-amrnb is decode-only there).
"""
import subprocess

import numpy as np

BAND = "highpass=f=300,lowpass=f=3400"
PATHS = {
    "ulaw": (["-af", BAND, "-ar", "8000", "-c:a", "pcm_mulaw", "-f", "mulaw"], ["-f", "mulaw", "-ar", "8000", "-ac", "1"]),
    "alaw": (["-af", BAND, "-ar", "8000", "-c:a", "pcm_alaw", "-f", "alaw"], ["-f", "alaw", "-ar", "8000", "-ac", "1"]),
    "gsm": (["-af", BAND, "-ar", "8000", "-c:a", "libgsm", "-f", "gsm"], ["-f", "gsm"]),
    "opus6k": (["-af", BAND, "-ar", "8000", "-c:a", "libopus", "-b:a", "6k", "-application", "voip", "-f", "ogg"],
               ["-f", "ogg"]),
    "opus8k": (["-af", BAND, "-ar", "8000", "-c:a", "libopus", "-b:a", "8k", "-application", "voip", "-f", "ogg"],
               ["-f", "ogg"]),
    "opus12k": (["-c:a", "libopus", "-b:a", "12k", "-application", "voip", "-f", "ogg"], ["-f", "ogg"]),
    "opus16k": (["-c:a", "libopus", "-b:a", "16k", "-application", "voip", "-f", "ogg"], ["-f", "ogg"]),
    "codec2": (["-ar", "8000", "-c:a", "libcodec2", "-mode", "3200", "-f", "codec2"], ["-f", "codec2"]),
    "tel8k": (["-af", BAND, "-ar", "8000", "-f", "s16le"], ["-f", "s16le", "-ar", "8000", "-ac", "1"]),
}
# the paths of the dev cross-condition protocol (telephone paths of a call: G.711, GSM, Opus 8-16 kbit/s)
EVAL_PATHS = ("ulaw", "alaw", "gsm", "opus8k", "opus12k", "opus16k")
GAP = 4800  # 0.3 s at 16 kHz


def _round_trip(x, path):
    enc_args, dec_args = PATHS[path]
    enc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-"]
                         + enc_args + ["-"], input=x.tobytes(), check=True, stdout=subprocess.PIPE).stdout
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error"] + dec_args + ["-i", "-", "-ac", "1", "-ar", "16000",
                                                                              "-f", "s16le", "-"],
                         input=enc, check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(raw, dtype=np.int16)


def _lag(ref, out, max_lag=1600):
    """Delay (samples) of `out` relative to `ref`, by cross-correlation of the first 20 s."""
    n = min(len(ref), len(out), 20 * 16000)
    a = ref[:n].astype(np.float64)
    b = out[: n + max_lag].astype(np.float64)
    if len(b) < n + max_lag:
        b = np.pad(b, (0, n + max_lag - len(b)))
    nfft = 1 << (2 * n + max_lag).bit_length()
    c = np.fft.irfft(np.fft.rfft(b, nfft) * np.conj(np.fft.rfft(a, nfft)), nfft)[: max_lag + 1]
    return int(np.argmax(c))


def apply_path(clips, path):
    """clips: list of 1-D float32 arrays in [-1, 1] at 16 kHz -> the same clips after `path` (float32, same lengths).

    Raises KeyError for an unknown path and subprocess.CalledProcessError if ffmpeg lacks the codec."""
    if not clips:
        return []
    parts, offs, pos = [], [], 0
    for c in clips:
        q = np.clip(np.round(np.asarray(c, dtype=np.float32) * 32767), -32768, 32767).astype(np.int16)
        parts += [q, np.zeros(GAP, np.int16)]
        offs.append((pos, len(q)))
        pos += len(q) + GAP
    x = np.concatenate(parts)
    y = _round_trip(x, path)
    lag = _lag(x, y)
    y = y[lag:]
    if len(y) < len(x):
        y = np.pad(y, (0, len(x) - len(y)))
    return [y[o:o + n].astype(np.float32) / 32768.0 for o, n in offs]
