"""Exercise whisper.log-mel: Whisper's input features, from waveform to normalised log-mel spectrogram.

Run ``python -m quiz check whisper.log-mel whisper_log_mel.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def log_mel_spectrogram(audio: ArrayLike, n_mels: int = 80, *, htk: bool = False) -> np.ndarray:
    """Whisper's log-mel spectrogram of 16 kHz audio, as Hugging Face's ``WhisperFeatureExtractor``.

    Specification:

    - Power spectrogram: reflect-pad by 200 samples on each side, frames of 400 samples every
      160, periodic Hann window, ``|rfft|^2``: ``(201, 1 + len(audio) // 160)``.
    - Mel filters (``n_mels`` rows, 201 columns), as ``librosa.filters.mel(sr=16000,
      n_fft=400, n_mels=n_mels)``: ``n_mels + 2`` edge frequencies equally spaced on the mel
      scale from 0 Hz to 8000 Hz; filter ``i`` rises linearly from edge ``i`` to ``i + 1`` and
      falls to ``i + 2`` (evaluate at the FFT bin frequencies ``k * 16000 / 400``), then is
      divided by ``(f_{i+2} - f_i) / 2`` (Slaney normalisation: equal area).
    - The mel scale (``htk=False``, Whisper's, "Slaney"): ``m = 3 f / 200`` below 1000 Hz,
      ``m = 15 + 27 ln(f / 1000) / ln(6.4)`` above. ``htk=True`` uses
      ``m = 2595 log10(1 + f / 700)`` instead (the checks only use the default).
    - ``L = log10(max(filters @ power, 1e-10))``; drop the last frame; clamp
      ``L = max(L, L.max() - 8)`` with the maximum over the whole clip; return ``(L + 4) / 4``.
    - Return float64 ``(n_mels, len(audio) // 160)``.

    >>> import numpy as np
    >>> x = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(8000) / 16000)  # half a second of 1 kHz
    >>> S = log_mel_spectrogram(x)
    >>> S.shape, int(S[:, 25].argmax()), round(float(S.max() - S.min()), 6)
    ((80, 50), 26, 2.0)
    """
    raise NotImplementedError("write this function")
