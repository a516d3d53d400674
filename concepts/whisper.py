"""Whisper's front end: audio to a log-mel spectrogram, a strided conv stem, a pre-LN encoder, task tokens.

Follows Radford et al. (2022), "Robust Speech Recognition via Large-Scale Weak Supervision",
with Hugging Face's ``WhisperFeatureExtractor`` (NumPy path) and ``WhisperEncoder`` as the
references. Audio is 16 kHz mono; a 400-sample periodic Hann window hops by 160 samples
(25 ms windows every 10 ms) over the signal reflect-padded by 200 on each side; the power
spectrum ``|STFT|^2`` goes through 80 Slaney-normalised triangles on the Slaney mel scale
(0 to 8 kHz); then ``log10(max(., 1e-10))``, a clamp to ``max - 8`` (80 dB below the
loudest bin), ``(x + 4) / 4``, and the last frame is dropped: 30 s (480,000 samples) gives
3000 frames. Two ``Conv1d`` (kernel 3, padding 1, exact GELU; the second with stride 2)
halve that to 1500 positions; sinusoidal positions (sin half, then cos half) are added and
pre-LN layers from ``concepts.transformer`` run with a final LayerNorm
(``concepts.normalization.layer_norm``). Conv weights are ``(kernel, c_in, c_out)`` and
multiply on the right. Leaves out the decoder's weights, beam search, timestamps
decoding, the 30 s chunking of long audio, and dithering. The converter from Hugging Face's
``WhisperEncoder`` lives in ``concepts/_whisper_convert.py`` and is re-exported here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_positive_int, require_rng
from concepts._whisper_convert import whisper_encoder_params_from_torch
from concepts.feed_forward import gelu
from concepts.normalization import layer_norm
from concepts.transformer import encoder_layer

__all__ = [
    "LANGUAGES",
    "SAMPLE_RATE",
    "SPECIAL_TOKENS",
    "chirp",
    "conv_stem",
    "decoder_prompt_ids",
    "hann_window",
    "hz_to_mel",
    "init_whisper_encoder_params",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mel_to_hz",
    "pad_or_trim",
    "power_spectrogram",
    "stft",
    "whisper_encoder",
    "whisper_encoder_params_from_torch",
    "whisper_sinusoids",
]

SAMPLE_RATE = 16000  # Hz
N_FFT, HOP_LENGTH, N_MELS, CHUNK_SECONDS = 400, 160, 80, 30

# The 99 language codes of the multilingual Whisper vocabulary (v1, v2), in token order:
# <|en|> is 50259, <|zh|> 50260, ... Large-v3 appends "yue" as a 100th, shifting later ids by one.
# fmt: off
LANGUAGES = (
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
    "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
    "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
    "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
    "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
    "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su",
)
# fmt: on


def _special_tokens() -> dict[str, int]:
    """Special tokens follow GPT-2's 50,257 byte-level BPE tokens, in this order."""
    names = ["<|endoftext|>", "<|startoftranscript|>", *(f"<|{c}|>" for c in LANGUAGES)]
    names += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>"]
    names += ["<|notimestamps|>"]  # then <|0.00|> = 50364, <|0.02|>, ... in 20 ms steps
    return {name: 50257 + i for i, name in enumerate(names)}


SPECIAL_TOKENS: dict[str, int] = _special_tokens()


def decoder_prompt_ids(language: str | None = "en", task: str = "transcribe", *, timestamps: bool = False) -> list[int]:
    """The ids the decoder starts from: ``<|startoftranscript|> <|lang|> <|task|> [<|notimestamps|>]``.

    :param language: a code from ``LANGUAGES`` or ``None`` (the model detects it first).
    :param task: ``"transcribe"`` (same language out) or ``"translate"`` (into English).
    :param timestamps: when ``False`` (the default), ``<|notimestamps|>`` asks for text only.
    :raises ValueError: for an unknown language or task.

    >>> from concepts.whisper import decoder_prompt_ids
    >>> decoder_prompt_ids("en", "transcribe")
    [50258, 50259, 50359, 50363]
    >>> decoder_prompt_ids("fr", "translate", timestamps=True)
    [50258, 50265, 50358]
    """
    if task not in ("transcribe", "translate"):
        raise ValueError(f"task must be 'transcribe' or 'translate'; got {task!r}")
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of Whisper's 99 codes (e.g. 'en') or None; got {language!r}")
    ids = [SPECIAL_TOKENS["<|startoftranscript|>"]]
    ids += [] if language is None else [SPECIAL_TOKENS[f"<|{language}|>"]]
    ids += [SPECIAL_TOKENS[f"<|{task}|>"]]
    return ids + ([] if timestamps else [SPECIAL_TOKENS["<|notimestamps|>"]])


def chirp(seconds: float, f0: float, f1: float, *, sample_rate: int = SAMPLE_RATE, noise: float = 0.0, rng: Any = 0):
    """A linear chirp from ``f0`` to ``f1`` Hz with optional Gaussian noise: test audio, never downloaded.

    ``x(t) = 0.5 sin(2 pi (f0 t + (f1 - f0) t^2 / (2 T)))``; ``f0 == f1`` gives a pure tone.

    >>> from concepts.whisper import chirp
    >>> x = chirp(0.5, 440.0, 440.0)
    >>> x.shape, round(float(abs(x).max()), 3)
    ((8000,), 0.5)
    """
    T, sr = require_positive(seconds, "seconds"), require_positive_int(sample_rate, "sample_rate")
    t = np.arange(round(T * sr)) / sr
    x = 0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * T)))
    return x + noise * require_rng(rng).standard_normal(t.shape) if noise else x


def pad_or_trim(audio: ArrayLike, length: int = CHUNK_SECONDS * SAMPLE_RATE) -> np.ndarray:
    """Zero-pad (at the end) or cut a waveform to ``length`` samples, 30 s by default.

    >>> from concepts.whisper import pad_or_trim
    >>> pad_or_trim([1.0, 2.0], 4).tolist(), pad_or_trim([1.0, 2.0, 3.0], 2).tolist()
    ([1.0, 2.0, 0.0, 0.0], [1.0, 2.0])
    """
    x, n = as_array(audio, "audio"), require_positive_int(length, "length")
    return np.pad(x[..., :n], [(0, 0)] * (x.ndim - 1) + [(0, max(0, n - x.shape[-1]))])


def hann_window(n: int, *, periodic: bool = True) -> np.ndarray:
    """``0.5 - 0.5 cos(2 pi k / N)``, ``N = n`` (periodic, ``torch.hann_window``'s default) or ``n - 1``.

    >>> from concepts.whisper import hann_window
    >>> hann_window(4).round(12).tolist(), hann_window(3, periodic=False).round(12).tolist()
    ([0.0, 0.5, 1.0, 0.5], [0.0, 1.0, 0.0])
    """
    n = require_positive_int(n, "n")
    if n == 1:
        return np.ones(1)  # torch.hann_window(1) is [1.0] for either flag
    N = n if periodic else n - 1
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / N)


def stft(audio: ArrayLike, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH, *, center: bool = True) -> np.ndarray:
    """Short-time Fourier transform with a periodic Hann window, as ``torch.stft(..., return_complex=True)``.

    With ``center=True`` the signal is reflect-padded by ``n_fft // 2`` on both sides, so frame
    ``m`` is centred on sample ``m * hop``: ``1 + len // hop`` frames.

    :param audio: ``(samples,)`` or ``(batch, samples)``; longer than ``n_fft // 2`` when centred.
    :returns: complex ``(..., n_fft // 2 + 1, num_frames)`` (frequency first, as torch).

    >>> import numpy as np
    >>> from concepts.whisper import stft
    >>> stft(np.ones(1600)).shape
    (201, 11)
    """
    x, n, hop = as_array(audio, "audio"), require_positive_int(n_fft, "n_fft"), require_positive_int(hop_length, "hop")
    if center:
        if x.shape[-1] <= n // 2:
            raise ValueError(f"audio must be longer than n_fft // 2 = {n // 2} samples to reflect-pad; got {x.shape}")
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n // 2, n // 2)], mode="reflect")
    if x.shape[-1] < n:
        raise ValueError(f"audio must have at least n_fft = {n} samples; got {x.shape[-1]}")
    num_frames = 1 + (x.shape[-1] - n) // hop
    idx = hop * np.arange(num_frames)[:, None] + np.arange(n)  # (frames, n_fft): sample index of each tap
    frames = x[..., idx] * hann_window(n)  # (..., frames, n_fft)
    return np.swapaxes(np.fft.rfft(frames, axis=-1), -1, -2)  # (..., n_fft // 2 + 1, frames)


def power_spectrogram(audio: ArrayLike, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """``|STFT|^2``: frames centred by reflect padding, a periodic Hann window, the squared magnitude.

    :returns: float64 ``(..., n_fft // 2 + 1, 1 + samples // hop_length)``.

    >>> import numpy as np
    >>> from concepts.whisper import power_spectrogram
    >>> P = power_spectrogram(np.ones(800), n_fft=8, hop_length=4)  # a constant: all power at 0 Hz
    >>> P.shape, float(P[0, 100]), float(P[1, 100]), float(P[2:, 100].max().round(12))  # the window leaks into bin 1
    ((5, 201), 16.0, 4.0, 0.0)
    """
    return np.abs(stft(audio, n_fft, hop_length)) ** 2


def hz_to_mel(freq: ArrayLike, *, htk: bool = False) -> np.ndarray:
    """Hertz to mels: Slaney's scale (linear ``f / (200/3)`` below 1 kHz, log above) or HTK's ``2595 log10(1 + f/700)``.

    >>> from concepts.whisper import hz_to_mel
    >>> hz_to_mel([0.0, 1000.0]).tolist(), round(float(hz_to_mel(1000.0, htk=True)), 2)
    ([0.0, 15.0], 999.99)
    """
    f = as_array(freq, "freq")
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    logstep = math.log(6.4) / 27.0  # 27 mels per factor of 6.4 above 1 kHz
    lin = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, lin)


def mel_to_hz(mels: ArrayLike, *, htk: bool = False) -> np.ndarray:
    """The inverse of ``hz_to_mel``.

    >>> from concepts.whisper import mel_to_hz
    >>> mel_to_hz([15.0, 42.0]).round(6).tolist()
    [1000.0, 6400.0]
    """
    m = as_array(mels, "mels")
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= 15.0, 1000.0 * np.exp(math.log(6.4) / 27.0 * (m - 15.0)), m * 200.0 / 3)


def mel_filterbank(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, *, htk: bool = False, norm: str = "slaney"
) -> np.ndarray:
    """Triangular mel filters from 0 Hz to Nyquist, as ``librosa.filters.mel`` (its defaults, float64).

    ``n_mels + 2`` edges equally spaced in mels; filter ``i`` rises from edge ``i`` to ``i + 1``
    and falls to ``i + 2``. ``norm="slaney"`` divides by the width ``(f_{i+2} - f_i) / 2`` so
    each filter has the same area; ``None`` leaves peaks at 1.

    :returns: ``(n_mels, n_fft // 2 + 1)``; ``filters @ power`` is the mel spectrogram.

    >>> from concepts.whisper import mel_filterbank
    >>> fb = mel_filterbank()
    >>> fb.shape, round(float(fb.sum(axis=1)[0]), 4)
    ((80, 201), 0.0249)
    """
    sr, n, m = (
        require_positive_int(v, k) for v, k in ((sample_rate, "sample_rate"), (n_fft, "n_fft"), (n_mels, "n_mels"))
    )
    if norm not in ("slaney", None):
        raise ValueError(f"norm must be 'slaney' or None; got {norm!r}")
    fft_freqs = np.linspace(0.0, sr / 2, n // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0, htk=htk), hz_to_mel(sr / 2, htk=htk), m + 2), htk=htk)
    rise = (fft_freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    fall = (edges[2:, None] - fft_freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(rise, fall))  # (n_mels, bins)
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None] if norm == "slaney" else weights


def log_mel_spectrogram(audio: ArrayLike, n_mels: int = N_MELS, *, htk: bool = False) -> np.ndarray:
    """Whisper's input features: ``(80, samples // 160)`` for 16 kHz audio, equal to ``WhisperFeatureExtractor``.

    ``mel = filters @ |STFT|^2`` (400-point periodic Hann, hop 160, reflect-centred), then
    ``L = log10(max(mel, 1e-10))``, ``L = max(L, L.max() - 8)`` (the maximum over the whole
    clip, per batch item), ``(L + 4) / 4``, and the last STFT frame dropped. Pad to 30 s first
    (``pad_or_trim``) to get the model's 3000 frames.

    :param audio: ``(samples,)`` or ``(batch, samples)`` at 16 kHz.
    :param htk: the HTK mel scale instead of Slaney's (for contrast; Whisper uses Slaney).
    :returns: float64 ``(..., n_mels, samples // 160)``, spanning at most 2.

    >>> import numpy as np
    >>> from concepts.whisper import chirp, log_mel_spectrogram, pad_or_trim
    >>> log_mel_spectrogram(pad_or_trim(chirp(1.0, 200.0, 4000.0))).shape  # 30 s of audio
    (80, 3000)
    """
    mel = mel_filterbank(SAMPLE_RATE, N_FFT, n_mels, htk=htk) @ power_spectrogram(audio)  # (..., n_mels, frames)
    log_spec = np.log10(np.maximum(mel, 1e-10))[..., :-1]  # drop the frame centred past the end
    peak = log_spec.max(axis=(-2, -1), keepdims=True)
    return (np.maximum(log_spec, peak - 8.0) + 4.0) / 4.0


def conv_stem(features: ArrayLike, params: dict[str, Any]) -> np.ndarray:
    """``GELU(conv2(GELU(conv1(x))))``: two kernel-3, padding-1 convolutions, the second with stride 2.

    :param features: ``(batch, n_mels, frames)``, the log-mel spectrogram.
    :param params: ``conv1_w`` ``(3, n_mels, d_model)``, ``conv1_b`` ``(d_model,)``, ``conv2_w``
        ``(3, d_model, d_model)``, ``conv2_b``; optional ``stride2`` (2).
    :returns: ``(batch, ceil(frames / 2), d_model)``, time first as the encoder wants it.

    >>> import numpy as np
    >>> from concepts.whisper import conv_stem, init_whisper_encoder_params
    >>> p = init_whisper_encoder_params(d_model=8, num_positions=5)
    >>> conv_stem(np.zeros((1, 80, 10)), p).shape
    (1, 5, 8)
    """
    x = np.swapaxes(as_array(features, "features"), -1, -2)  # (batch, frames, n_mels)
    if x.ndim != 3:
        raise ValueError(f"features must have shape (batch, n_mels, frames); got {np.swapaxes(x, -1, -2).shape}")
    for name, stride in (("conv1", 1), ("conv2", params.get("stride2", 2))):
        w, b = as_array(params[f"{name}_w"], f"{name}_w"), as_array(params[f"{name}_b"], f"{name}_b")
        if w.shape[:2] != (3, x.shape[-1]):
            raise ValueError(f"{name}_w must be (3, {x.shape[-1]}, d_out); got {w.shape}")
        xp = np.pad(x, [(0, 0), (1, 1), (0, 0)])  # padding 1 on the time axis
        T_out = (x.shape[1] - 1) // stride + 1
        starts = stride * np.arange(T_out)
        x = gelu(sum(xp[:, starts + k] @ w[k] for k in range(3)) + b)  # tap k reads frame t*stride + k - 1
    return x


def whisper_sinusoids(length: int, channels: int, *, max_timescale: float = 10000.0) -> np.ndarray:
    """Whisper's encoder positions: ``[sin(t w_0..w_{c/2-1}), cos(t w_0..w_{c/2-1})]``, sin half then cos half.

    ``w_i = max_timescale^(-i / (c/2 - 1))``: the slowest wavelength is exactly ``2 pi 10^4``
    (the original Transformer's ``w_i = 10^4^(-2i/c)`` never reaches it, and interleaves
    sin and cos instead: ``concepts.positional_encoding.sinusoidal_encoding``).

    >>> from concepts.whisper import whisper_sinusoids
    >>> whisper_sinusoids(2, 4).round(4).tolist()
    [[0.0, 0.0, 1.0, 1.0], [0.8415, 0.0001, 0.5403, 1.0]]
    """
    n, c = require_positive_int(length, "length"), require_positive_int(channels, "channels")
    if c % 2 or c < 4:
        raise ValueError(f"channels must be even and at least 4; got {c}")
    inv = np.exp(-math.log(max_timescale) / (c // 2 - 1) * np.arange(c // 2))
    t = np.arange(n)[:, None] * inv[None, :]
    return np.concatenate([np.sin(t), np.cos(t)], axis=1)


def whisper_encoder(features: ArrayLike, params: dict[str, Any]) -> np.ndarray:
    """``WhisperEncoder``'s forward (eval): conv stem, + positions, pre-LN layers (exact GELU), final LayerNorm.

    :param features: ``(batch, n_mels, 2 * num_positions)``; Hugging Face insists on exactly
        that length (3000 frames for 1500 positions), padding audio to 30 s rather than masking.
    :returns: ``(batch, num_positions, d_model)``.

    >>> import numpy as np
    >>> from concepts.whisper import init_whisper_encoder_params, whisper_encoder
    >>> p = init_whisper_encoder_params(d_model=8, num_heads=2, d_ff=16, num_positions=5)
    >>> whisper_encoder(np.zeros((2, 80, 10)), p).shape
    (2, 5, 8)
    """
    h = conv_stem(features, params)
    pos = as_array(params["positions"], "positions")
    if h.shape[1:] != pos.shape:
        raise ValueError(f"features must have {2 * pos.shape[0]} frames for {pos.shape[0]} positions; got {h.shape[1]}")
    h = h + pos
    for layer in params["layers"]:
        h = encoder_layer(h, layer, params["num_heads"], norm_first=True, activation="gelu", eps=1e-5)
    return layer_norm(h, h.shape[-1], params["ln_weight"], params["ln_bias"], eps=1e-5)


def init_whisper_encoder_params(
    *,
    n_mels: int = N_MELS,
    d_model: int = 32,
    num_layers: int = 2,
    num_heads: int = 4,
    d_ff: int = 64,
    num_positions: int = 50,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, Any]:
    """Random encoder parameters (``N(0, 0.02^2)``, conv ``N(0, 0.2^2)``, no key bias), for examples.

    >>> from concepts.whisper import init_whisper_encoder_params
    >>> p = init_whisper_encoder_params()
    >>> p["conv1_w"].shape, p["conv2_w"].shape, p["positions"].shape
    ((3, 80, 32), (3, 32, 32), (50, 32))
    """
    rng, d = require_rng(rng), d_model

    def w(*shape: int, s: float = 0.02) -> np.ndarray:
        return s * rng.standard_normal(shape)

    def layer() -> dict[str, np.ndarray]:
        p = {f"self_attn.{k}_{c}": w(d, d) if k == "w" else w(d) for c in "qkvo" for k in "wb"}
        p["self_attn.b_k"] = np.zeros(d)  # Whisper's k_proj has no bias
        p.update({"ffn.w_1": w(d, d_ff), "ffn.b_1": w(d_ff), "ffn.w_2": w(d_ff, d), "ffn.b_2": w(d)})
        for i in (1, 2):
            p[f"norm{i}.gamma"], p[f"norm{i}.beta"] = 1 + 10 * w(d), 10 * w(d)
        return p

    return {
        "conv1_w": w(3, n_mels, d, s=0.2), "conv1_b": w(d), "conv2_w": w(3, d, d, s=0.2), "conv2_b": w(d),
        "positions": whisper_sinusoids(num_positions, d), "layers": [layer() for _ in range(num_layers)],
        "ln_weight": 1 + 10 * w(d), "ln_bias": 10 * w(d), "num_heads": num_heads,
    }  # fmt: skip
