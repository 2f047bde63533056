"""The demo media's sound: polar wind and a calm minor-key tune, synthesised with numpy.

Everything is generated from explicit seeds, so a rebuild gives the same samples. The tune is
built on bars of 10/3 s (72 bpm, 4/4): a 20 s clip is exactly six bars and every 10 s part of the
master starts on a bar line, so a cut of the master begins on a chord change.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

SR = 48_000
BPM = 72.0
BEAT = 60.0 / BPM
BAR = 4 * BEAT

Stereo = NDArray[np.float32]  # shape (2, n)
Mono = NDArray[np.float64]

# Natural minor with the raised 7th available for the dominant chord: (semitones above tonic).
_CHORDS: list[tuple[int, tuple[int, ...]]] = [
    # root offset, chord tones as offsets from the tonic
    (0, (0, 3, 7)),  # i
    (8, (8, 12, 15)),  # VI
    (3, (3, 7, 10)),  # III
    (10, (10, 14, 17)),  # VII
    (5, (5, 8, 12)),  # iv
    (7, (7, 11, 14)),  # V (harmonic minor: leads home)
]
_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor


def _midi_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def _env(n: int, attack: float, release: float) -> Mono:
    """Attack / release envelope with raised-cosine edges (no clicks)."""
    e = np.ones(n)
    a = min(n, max(1, int(attack * SR)))
    r = min(n - a, max(1, int(release * SR)))
    e[:a] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a))
    if r > 0:
        e[n - r :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, r))
    return e


def _add(buf: Mono, start: float, sig: Mono) -> None:
    i = round(start * SR)
    if i >= len(buf):
        return
    j = min(len(buf), i + len(sig))
    buf[i:j] += sig[: j - i]


def _tri(phase: Mono) -> Mono:
    """Band-limited-ish triangle: the first odd harmonics, soft enough for a pad."""
    return (
        np.sin(phase) - np.sin(3 * phase) / 9 + np.sin(5 * phase) / 25 - np.sin(7 * phase) / 49
    ) * (8 / np.pi**2)


def _pad(duration: float, hz: float, detune: float) -> Mono:
    t = np.arange(int(duration * SR)) / SR
    ph = 2 * np.pi * hz * t
    ph2 = 2 * np.pi * hz * (1 + detune) * t
    return 0.5 * (_tri(ph) + _tri(ph2)) * _env(len(t), 1.1, 1.4)


def _bell(duration: float, hz: float) -> Mono:
    """A soft celesta-like note: a sine with a little octave and fifth, decaying."""
    t = np.arange(int(duration * SR)) / SR
    ph = 2 * np.pi * hz * t
    sig = (
        np.sin(ph) + 0.18 * np.sin(2 * ph) * np.exp(-t * 3) + 0.06 * np.sin(3 * ph) * np.exp(-t * 5)
    )
    return sig * np.exp(-t * 1.1) * _env(len(t), 0.012, 0.35)


def _bass(duration: float, hz: float) -> Mono:
    t = np.arange(int(duration * SR)) / SR
    return np.sin(2 * np.pi * hz * t) * _env(len(t), 0.25, 0.9)


def _smooth_noise(n: int, rng: np.random.Generator, cutoff_hz: float) -> Mono:
    """Gaussian noise low-passed in the frequency domain (for slow, organic modulation)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec *= np.exp(-((f / cutoff_hz) ** 2))
    out = np.fft.irfft(spec, n)
    return out / (np.max(np.abs(out)) + 1e-12)


def _band_noise(n: int, rng: np.random.Generator, lo: float, hi: float) -> Mono:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    # Smooth band shape (no brick wall, which would ring) with a pink-ish tilt.
    shape = (
        1 / (1 + (lo / np.maximum(f, 1)) ** 4) / (1 + (f / hi) ** 4) / np.sqrt(np.maximum(f, 20))
    )
    out = np.fft.irfft(spec * shape, n)
    return out / (np.std(out) + 1e-12)


def wind(duration: float, seed: int) -> Stereo:
    """Polar wind: band-limited noise whose loudness and brightness follow slow gusts, and a
    faint whistle that rises with each gust."""
    rng = np.random.default_rng(seed)
    n = round(duration * SR)
    gust = 0.55 + 0.45 * _smooth_noise(n, rng, 0.18)  # gusts a few seconds long
    gust = np.clip(gust, 0.08, 1.0)
    out = np.zeros((2, n))
    for ch in range(2):
        low = _band_noise(n, rng, 120, 700)
        high = _band_noise(n, rng, 500, 2600)
        whistle = _band_noise(n, rng, 820, 900) * 0.25 + _band_noise(n, rng, 1250, 1320) * 0.15
        sway = 0.5 + 0.5 * _smooth_noise(n, rng, 0.4)  # each ear gets its own eddies
        out[ch] = low * gust * (0.7 + 0.3 * sway) + high * gust**2 * 0.45 + whistle * gust**3
    return (out * 0.14).astype(np.float32)


def _reverb(x: Mono, seed: int, seconds: float = 2.6) -> NDArray[np.float64]:
    """Stereo convolution reverb with a synthetic, darkening decay (a snowy hall, not a room)."""
    rng = np.random.default_rng(seed)
    m = int(seconds * SR)
    t = np.arange(m) / SR
    out = np.zeros((2, len(x)))
    nfft = 1 << int(np.ceil(np.log2(len(x) + m)))
    xs = np.fft.rfft(x, nfft)
    f = np.fft.rfftfreq(nfft, 1 / SR)
    for ch in range(2):
        ir = rng.standard_normal(m) * np.exp(-t * 6.9 / seconds)
        ir[: int(0.02 * SR)] *= np.linspace(0, 1, int(0.02 * SR))  # pre-delay swell
        spec = np.fft.rfft(ir, nfft) / (1 + (f / 3500) ** 2)  # air absorbs the highs
        out[ch] = np.fft.irfft(xs * spec, nfft)[: len(x)]
    return out / (np.max(np.abs(out)) + 1e-12)


def music(duration: float, seed: int, tonic_midi: int, final_bar_home: bool = True) -> Stereo:
    """A slow minor-key piece: pad chords, a sine bass and a bell melody, with reverb.

    The chord cycle is six bars (i VI III VII iv V); the last bar returns to the tonic so a clip
    ends at rest. The melody walks the scale with chord tones on strong beats.
    """
    rng = np.random.default_rng(seed)
    n = round(duration * SR)
    bars = int(np.ceil(duration / BAR))
    pad_l, pad_r = np.zeros(n), np.zeros(n)
    bass = np.zeros(n)
    mel = np.zeros(n)
    prev_note = tonic_midi + 12 + 7  # start on the fifth, above middle register
    for b in range(bars):
        root, tones = _CHORDS[b % len(_CHORDS)]
        if final_bar_home and b == bars - 1:
            root, tones = _CHORDS[0]
        t0 = b * BAR
        for k, tone in enumerate(tones):
            hz = _midi_hz(tonic_midi + tone)
            sig = _pad(BAR + 1.2, hz, 0.0018 * (k + 1))
            # Spread the chord across the ears, each tone mostly on one side.
            _add(pad_l if k % 2 == 0 else pad_r, t0, sig)
            _add(pad_r if k % 2 == 0 else pad_l, t0, sig * 0.6)
        _add(bass, t0, _bass(BAR + 0.6, _midi_hz(tonic_midi - 12 + root)))
        # Melody rhythm: one of a few calm patterns (in beats), chosen per bar.
        patterns = [(2, 1, 1), (1.5, 0.5, 2), (3, 1), (1, 1, 2), (2, 2)]
        pattern = patterns[int(rng.integers(len(patterns)))]
        beat = 0.0
        for i, length in enumerate(pattern):
            if i == 0:
                # Strong beat: nearest chord tone (in the melody octave) to the previous note.
                cands = [tonic_midi + 12 + t + o for t in tones for o in (-12, 0, 12)]
            else:
                cands = [tonic_midi + 12 + s + o for s in _SCALE for o in (0, 12)]
            cands = [c for c in cands if tonic_midi + 7 <= c <= tonic_midi + 31]
            dist = np.array([abs(c - prev_note) for c in cands], dtype=np.float64)
            # Prefer small steps, never a repeat more than by chance.
            weights = np.exp(-dist / 2.2) * np.where(dist == 0, 0.35, 1.0)
            note = cands[int(rng.choice(len(cands), p=weights / weights.sum()))]
            prev_note = note
            _add(mel, t0 + beat * BEAT, _bell(length * BEAT + 1.5, _midi_hz(note)))
            beat += length
    dry = np.stack(
        [pad_l * 0.16 + bass * 0.22 + mel * 0.20, pad_r * 0.16 + bass * 0.22 + mel * 0.17]
    )
    wet = _reverb(dry.mean(axis=0), seed + 1)
    mix = dry + wet * 0.12
    return mix.astype(np.float32)


def soundtrack(duration: float, seed: int, tonic_midi: int) -> Stereo:
    """Wind plus tune, levelled to -3 dBFS peak, faded in and out so it starts and ends clean."""
    n = round(duration * SR)
    mix = wind(duration, seed) + music(duration, seed + 7, tonic_midi)[:, :n]
    peak = float(np.max(np.abs(mix)))
    mix = mix * (10 ** (-3 / 20) / max(peak, 1e-9))
    fade = np.ones(n, dtype=np.float32)
    a, r = int(0.4 * SR), int(1.6 * SR)
    fade[:a] = np.linspace(0, 1, a) ** 2
    fade[n - r :] = np.linspace(1, 0, r) ** 2
    return (mix * fade).astype(np.float32)
