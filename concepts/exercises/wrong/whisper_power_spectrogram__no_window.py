"""Uses no window (a rectangular one): a constant puts 64, not 16, in bin 0 and nothing in bin 1."""

import numpy as np

EXPECTED_FAILURE = "check_power_hand_worked"


def power_spectrogram(audio, n_fft=400, hop_length=160):
    x = np.asarray(audio, dtype=float)
    x = np.pad(x, n_fft // 2, mode="reflect")  # PAD
    n_frames = 1 + (len(x) - n_fft) // hop_length
    idx = hop_length * np.arange(n_frames)[:, None] + np.arange(n_fft)
    window = np.ones(n_fft)
    spec = np.fft.rfft(x[idx] * window, axis=-1).T
    return np.abs(spec) ** 2  # POWER
