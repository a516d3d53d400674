"""Exercise whisper.power-spectrogram: frame the audio, apply a Hann window, take |FFT|^2.

Run ``python -m quiz check whisper.power-spectrogram whisper_power_spectrogram.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def power_spectrogram(audio: ArrayLike, n_fft: int = 400, hop_length: int = 160) -> np.ndarray:
    """The power spectrogram Whisper starts from, equal to ``|torch.stft(...)|^2``.

    Specification:

    - ``audio`` is a 1-D float waveform (16 kHz for Whisper), longer than ``n_fft // 2``.
    - Centre the frames: reflect-pad the signal by ``n_fft // 2`` samples on each side
      (``np.pad(..., mode="reflect")``: the edge sample is not repeated).
    - Frame ``m`` is the ``n_fft`` samples starting at ``m * hop_length`` of the padded
      signal; there are ``1 + len(audio) // hop_length`` frames.
    - Multiply each frame by the *periodic* Hann window ``0.5 - 0.5 cos(2 pi k / n_fft)``,
      ``k = 0 .. n_fft - 1`` (``torch.hann_window``'s default).
    - Take the real FFT of each frame and its squared magnitude.
    - Return float64 ``(n_fft // 2 + 1, num_frames)``: frequency first, as ``torch.stft``.

    >>> import numpy as np
    >>> P = power_spectrogram(np.ones(64), 8, 4)  # a constant: the window's own spectrum
    >>> P.shape, np.round(P[:, 8], 6).tolist()
    ((5, 17), [16.0, 4.0, 0.0, 0.0, 0.0])
    """
    raise NotImplementedError("write this function")
