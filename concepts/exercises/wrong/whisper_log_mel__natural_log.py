"""Takes the natural log instead of log10: values 2.3 times too spread, and the clamp keeps 8 nepers."""

import math

import numpy as np

EXPECTED_FAILURE = "check_log_mel_against_reference"


def _mel(f, htk):
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f = np.asarray(f, dtype=float)
    return np.where(f < 1000, 3 * f / 200, 15 + 27 * np.log(np.maximum(f, 1e-10) / 1000) / math.log(6.4))


def _hz(m, htk):
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m < 15, 200 * m / 3, 1000 * np.exp(math.log(6.4) / 27 * (m - 15)))


def log_mel_spectrogram(audio, n_mels=80, *, htk=False):
    x = np.pad(np.asarray(audio, dtype=float), 200, mode="reflect")
    n_frames = 1 + (len(x) - 400) // 160
    idx = 160 * np.arange(n_frames)[:, None] + np.arange(400)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)
    power = np.abs(np.fft.rfft(x[idx] * window, axis=-1).T) ** 2
    edges = _hz(np.linspace(0.0, float(_mel(8000.0, htk)), n_mels + 2), htk)  # SCALE
    freqs = np.arange(201) * 16000 / 400
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    filters = np.maximum(0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid))) * 2 / (hi - lo)
    log_spec = np.log(np.maximum(filters @ power, 1e-10))
    log_spec = log_spec[:, :-1]  # DROP
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)  # CLAMP
    return (log_spec + 4.0) / 4.0
