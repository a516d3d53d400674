"""Does not reflect-pad, so frame m starts at sample m * hop instead of being centred on it (and frames go missing)."""

import numpy as np

EXPECTED_FAILURE = "check_power_against_torch_stft"


def power_spectrogram(audio, n_fft=400, hop_length=160):
    x = np.asarray(audio, dtype=float)
    n_frames = 1 + (len(x) - n_fft) // hop_length
    idx = hop_length * np.arange(n_frames)[:, None] + np.arange(n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # WINDOW
    spec = np.fft.rfft(x[idx] * window, axis=-1).T
    return np.abs(spec) ** 2  # POWER
