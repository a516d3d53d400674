"""Returns the magnitude |STFT| instead of the power |STFT|^2."""

import numpy as np

EXPECTED_FAILURE = "check_power_hand_worked"


def power_spectrogram(audio, n_fft=400, hop_length=160):
    x = np.asarray(audio, dtype=float)
    x = np.pad(x, n_fft // 2, mode="reflect")  # PAD
    n_frames = 1 + (len(x) - n_fft) // hop_length
    idx = hop_length * np.arange(n_frames)[:, None] + np.arange(n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # WINDOW
    spec = np.fft.rfft(x[idx] * window, axis=-1).T
    return np.abs(spec)
