"""Checks for the Whisper exercises: the power spectrogram (warm-up) and the full log-mel pipeline.

The trusted references are ``torch.stft`` in float64 (periodic Hann window, reflect-centred
frames), a mel filterbank written here from the Slaney formulas in PyTorch (a separate
implementation from ``concepts.whisper``), hand-derived values and properties (the clamp
leaves exactly 8 decades, i.e. a range of 2 after ``/ 4``). ``tests/concepts/test_whisper.py``
runs the same checks on ``concepts.whisper``; there it also meets Hugging Face's
``WhisperFeatureExtractor``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _torch_power(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    torch = require_torch()
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(
        torch.from_numpy(x), n_fft, hop, window=window, center=True, pad_mode="reflect", return_complex=True
    )
    return (spec.abs() ** 2).numpy()


def _tone(seconds: float, freq: float, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(round(16000 * seconds)) / 16000)


# ------------------------------------------------------------ whisper.power-spectrogram


@check(
    "a constant signal, n_fft 8, hop 4: bin 0 holds (sum of the Hann window)^2 = 16, bin 1 holds 4",
    section="whisper-stft",
)
def check_power_hand_worked(candidate: Callable) -> None:
    """Periodic Hann(8) sums to 4; its DFT at bin 1 is -2 (the -cos half), so the power is 4; higher bins 0."""
    x = np.ones(64)
    got = np.asarray(candidate(x, 8, 4), dtype=float)
    expect(got.shape == (5, 17), f"64 samples, n_fft 8, hop 4 give (5, 1 + 64 // 4) = (5, 17); got {got.shape}")
    compare(
        got[:, 8], np.array([16.0, 4.0, 0.0, 0.0, 0.0]), inputs={"audio": "64 ones", "n_fft": 8, "hop": 4}, atol=1e-9
    )


@check("equals |torch.stft(x, center=True, pad_mode='reflect', hann_window)|^2 in float64", section="whisper-stft")
def check_power_against_torch_stft(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for n, n_fft, hop in ((16, 8, 4), (37, 8, 3), (800, 400, 160), (1999, 400, 160)):
        x = rng.standard_normal(n)
        compare(
            candidate(x, n_fft, hop),
            _torch_power(x, n_fft, hop),
            inputs={"len(audio)": n, "n_fft": n_fft, "hop": hop},
            rtol=1e-9,
            atol=1e-9,
        )


@check(
    "one second at 16 kHz with Whisper's defaults gives (201, 101): 1 + samples // hop frames", section="whisper-stft"
)
def check_power_shape(candidate: Callable) -> None:
    got = np.asarray(candidate(_tone(1.0, 440.0)))
    expect(got.shape == (201, 101), f"16000 samples, n_fft 400, hop 160 must give (201, 101); got {got.shape}")


# ------------------------------------------------------------------- whisper.log-mel


def _slaney_filters(sr: int = 16000, n_fft: int = 400, n_mels: int = 80) -> np.ndarray:
    """Slaney mel filters in PyTorch, written from the formulas (linear 200/3 Hz per mel to 1 kHz, then log)."""
    torch = require_torch()
    step = math.log(6.4) / 27

    def to_mel(f: torch.Tensor) -> torch.Tensor:
        return torch.where(f < 1000, 3 * f / 200, 15 + torch.log(f.clamp(min=1e-10) / 1000) / step)

    def to_hz(m: torch.Tensor) -> torch.Tensor:
        return torch.where(m < 15, 200 * m / 3, 1000 * torch.exp(step * (m - 15)))

    top = to_mel(torch.tensor(sr / 2, dtype=torch.float64))
    edges = to_hz(torch.linspace(0, float(top), n_mels + 2, dtype=torch.float64))
    freqs = torch.linspace(0, sr / 2, n_fft // 2 + 1, dtype=torch.float64)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    tri = torch.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)).clamp(min=0)
    return (tri * 2 / (hi - lo)).numpy()


def _reference_log_mel(x: np.ndarray) -> np.ndarray:
    mel = _slaney_filters() @ _torch_power(x, 400, 160)
    log_spec = np.log10(np.maximum(mel, 1e-10))[:, :-1]
    return (np.maximum(log_spec, log_spec.max() - 8) + 4) / 4


@check("half a second gives (80, 50): samples // 160 frames, the last STFT frame dropped", section="whisper-log-mel")
def check_log_mel_shape(candidate: Callable) -> None:
    for seconds, frames in ((0.5, 50), (0.3071, 30)):
        got = np.asarray(candidate(_tone(seconds, 440.0)))
        n = round(16000 * seconds)
        expect(got.shape == (80, frames), f"{n} samples must give (80, {n} // 160) = (80, {frames}); got {got.shape}")


@check(
    "a 1 kHz tone peaks in mel filter 26 (Slaney scale: 1 kHz is 15 mels, filters 0.5586 mels apart)",
    section="whisper-mel",
)
def check_log_mel_tone_peak(candidate: Callable) -> None:
    """Slaney: 8 kHz is 15 + 27 ln(8) / ln(6.4) = 45.25 mels; edges 0.5586 apart; filter 26 peaks at 15.08 mels."""
    got = np.asarray(candidate(_tone(0.5, 1000.0)))
    peak = int(np.argmax(got[:, 25]))
    expect(
        peak == 26, f"the loudest mel bin of a 1000 Hz tone must be 26 (Slaney); got {peak} (HTK would give 27 or 28)"
    )


@check("with silence in the clip, max - min is exactly 2: the max - 8 clamp, then / 4", section="whisper-log-mel")
def check_log_mel_dynamic_range(candidate: Callable) -> None:
    x = np.concatenate([_tone(0.25, 440.0), np.zeros(4000)])
    got = np.asarray(candidate(x), dtype=float)
    span = float(got.max() - got.min())
    expect(
        abs(span - 2.0) <= 1e-9,
        f"silence must sit exactly 8 decades (2 after / 4) below the peak; got a range of {span:.4f}",
    )


@check("equals torch.stft + Slaney filters + log10, clamp to max - 8, (x + 4) / 4", section="whisper-log-mel")
def check_log_mel_against_reference(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(8000) / 16000
    clips = {
        "chirp 100 Hz to 7 kHz + noise": np.sin(2 * np.pi * (100 * t + 6900 * t**2)) * 0.4
        + 0.01 * rng.standard_normal(8000),
        "tone then silence": np.concatenate([_tone(0.2, 300.0), np.zeros(1600)]),
        "noise": 0.1 * rng.standard_normal(3201),
    }
    for name, x in clips.items():
        compare(candidate(x), _reference_log_mel(x), inputs={"audio": name}, atol=1e-6, rtol=0)


CHECKS: dict[str, list] = {
    "whisper.power-spectrogram": [check_power_hand_worked, check_power_against_torch_stft, check_power_shape],
    "whisper.log-mel": [
        check_log_mel_shape,
        check_log_mel_tone_peak,
        check_log_mel_dynamic_range,
        check_log_mel_against_reference,
    ],
}
