"""Whisper against ``torch.stft``, ``librosa.filters.mel``, ``WhisperFeatureExtractor`` and ``WhisperEncoder``.

All audio is synthesised here (tones, chirps, a little Gaussian noise); nothing is
downloaded. The feature extractor's NumPy path (``_np_extract_fbank_features``) is the
reference: ``__call__`` would take the torch path when torch is installed. The encoder is
Hugging Face's, built from a tiny random ``WhisperConfig`` (80 mel bins, d_model 32, 2
layers, 4 heads, ffn 64) with ``max_source_positions = 50``: ``WhisperEncoder.forward``
raises unless the input has exactly ``2 * max_source_positions`` frames, so the input is
100 frames (1 s) rather than 3000. SDPA attention, because the eager path computes its
softmax in float32 even for a float64 model.

Hand-worked example (``test_hand_worked_mel_scale_and_prompt``): on the Slaney scale the
mel is linear below 1 kHz at 200/3 Hz per mel, so 1000 Hz is 15 mels; above, 27 mels per
factor 6.4, so 6400 Hz is 15 + 27 = 42 mels. The multilingual prompt for English
transcription without timestamps is <|startoftranscript|> = 50257 + 1 = 50258, <|en|> the
first language = 50259, <|transcribe|> = 50259 + 99 languages + 1 (after <|translate|>) =
50359, <|notimestamps|> = 50359 + 4 = 50363.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from support import bank_tolerance, check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.whisper import CHECKS
from concepts.whisper import (
    LANGUAGES,
    SPECIAL_TOKENS,
    chirp,
    conv_stem,
    decoder_prompt_ids,
    hann_window,
    hz_to_mel,
    init_whisper_encoder_params,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    pad_or_trim,
    power_spectrogram,
    stft,
    whisper_encoder,
    whisper_encoder_params_from_torch,
    whisper_sinusoids,
)


def _clips() -> dict[str, np.ndarray]:
    """Synthesised 16 kHz audio: a tone, a noisy chirp, a two-tone mix with silence, odd lengths."""
    t = np.arange(16000) / 16000
    mix = 0.3 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 2500 * t)
    return {
        "tone": chirp(1.0, 440.0, 440.0),
        "noisy-chirp": chirp(2.0, 100.0, 7000.0, noise=0.01, rng=1),
        "mix-then-silence": np.concatenate([mix, np.zeros(8000)]),
        "odd-length": chirp(0.3071, 1000.0, 300.0, noise=0.05, rng=2),
    }


@pytest.fixture(scope="module")
def extractor():
    transformers = pytest.importorskip("transformers")
    return transformers.WhisperFeatureExtractor()


@pytest.mark.parametrize("name", list(_clips()))
def test_log_mel_equals_whisper_feature_extractor(extractor, name):
    x = _clips()[name]
    want = extractor._np_extract_fbank_features(x[None].astype(np.float32), "cpu")[0]
    got = log_mel_spectrogram(x.astype(np.float32))
    assert got.shape == want.shape == (80, len(x) // 160)
    assert np.abs(got - want).max() <= 1e-5


def test_thirty_seconds_gives_3000_frames_like_the_extractor_call(extractor):
    x = chirp(3.0, 200.0, 5000.0, noise=0.01, rng=3)
    want = extractor(x, sampling_rate=16000, return_tensors="np").input_features[0]  # pads to 30 s itself
    got = log_mel_spectrogram(pad_or_trim(x))
    assert got.shape == want.shape == (80, 3000)
    assert np.abs(got - want).max() <= 1e-4  # __call__ may take the float32 torch path


@pytest.mark.parametrize("n", [401, 1600, 4000, 16037])
def test_stft_equals_torch_stft(n):
    x = np.random.default_rng(n).standard_normal((2, n))
    want = torch.stft(
        torch.from_numpy(x), 400, 160, window=torch.hann_window(400, dtype=torch.float64),
        center=True, pad_mode="reflect", return_complex=True,
    ).numpy()  # fmt: skip
    got = stft(x)
    assert got.shape == want.shape == (2, 201, 1 + n // 160)
    assert np.abs(got - want).max() <= 1e-10
    assert np.abs(power_spectrogram(x) - np.abs(want) ** 2).max() <= 1e-9


def test_symmetric_hann_is_numpy_and_scipy_default():
    scipy_windows = pytest.importorskip("scipy.signal.windows")
    assert np.allclose(hann_window(400, periodic=False), np.hanning(400), atol=1e-15)
    assert np.allclose(hann_window(400, periodic=False), scipy_windows.hann(400), atol=1e-15)
    assert np.abs(hann_window(400) - np.hanning(400)).max() > 1e-3  # the page: small, yet not equal


def test_hann_window_equals_torch():
    for n in (1, 2, 5, 400):
        assert np.allclose(hann_window(n), torch.hann_window(n, dtype=torch.float64).numpy(), atol=1e-15)
        assert np.allclose(hann_window(n, periodic=False), torch.hann_window(n, False, dtype=torch.float64).numpy())


@pytest.mark.filterwarnings("ignore:Empty filters")  # HTK, 128 mels: a low triangle falls between two 40 Hz bins
@pytest.mark.parametrize(("sr", "n_fft", "n_mels"), [(16000, 400, 80), (16000, 400, 128), (22050, 512, 40)])
def test_mel_filterbank_equals_librosa(sr, n_fft, n_mels):
    librosa = pytest.importorskip("librosa")
    for htk in (False, True):
        want = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, htk=htk, norm="slaney", dtype=np.float64)
        assert np.abs(mel_filterbank(sr, n_fft, n_mels, htk=htk) - want).max() <= 1e-12
    want32 = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)  # librosa's default dtype is float32
    assert want32.dtype == np.float32 and np.abs(mel_filterbank(sr, n_fft, n_mels) - want32).max() <= 1e-7
    unnorm = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, norm=None, dtype=np.float64)
    assert np.abs(mel_filterbank(sr, n_fft, n_mels, norm=None) - unnorm).max() <= 1e-12


def test_mel_scale_round_trip_and_librosa():
    librosa = pytest.importorskip("librosa")
    f = np.array([0.0, 100.0, 999.0, 1000.0, 1001.0, 4000.0, 8000.0])
    for htk in (False, True):
        assert np.allclose(hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk), atol=1e-9)
        assert np.allclose(mel_to_hz(hz_to_mel(f, htk=htk), htk=htk), f, atol=1e-9)


def test_hand_worked_mel_scale_and_prompt():
    assert hz_to_mel([1000.0, 6400.0]).round(9).tolist() == [15.0, 42.0]
    assert round(float(hz_to_mel(8000.0)), 2) == 45.25  # the page's top edge
    assert decoder_prompt_ids() == [50258, 50259, 50359, 50363]


def test_sinusoids_equal_hugging_face_and_differ_from_the_transformer_table():
    mw = pytest.importorskip("transformers.models.whisper.modeling_whisper")
    from concepts.positional_encoding import sinusoidal_encoding

    default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)  # HF builds the angles in the default dtype
        for n, c in ((1500, 32), (7, 4), (50, 384)):
            assert np.abs(whisper_sinusoids(n, c) - mw.sinusoids(n, c).numpy()).max() <= 1e-12
    finally:
        torch.set_default_dtype(default)
    ours = whisper_sinusoids(50, 32)
    assert np.abs(ours - sinusoidal_encoding(50, 32)).max() > 0.5  # interleaved layout, other timescales
    half = ours[:, :16]
    assert np.abs(half[1, -1] - math.sin(1e-4)) <= 1e-12  # the slowest frequency is exactly 1 / 10^4


# ------------------------------------------------------------------ the encoder


def _randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Redraw every parameter except the sinusoid table; LayerNorm gains near 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_positions" in name:
                continue
            z = torch.randn(p.shape, generator=g, dtype=p.dtype)
            gain = "layer_norm" in name and name.endswith("weight")
            p.copy_(1.0 + 0.2 * z if gain else (0.3 if p.ndim >= 2 else 0.2) * z)
    return model


@pytest.fixture(scope="module")
def hf_encoder():
    transformers = pytest.importorskip("transformers")
    config = transformers.WhisperConfig(
        num_mel_bins=80, d_model=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=64,
        max_source_positions=50, attn_implementation="sdpa",
    )  # fmt: skip
    model = transformers.models.whisper.modeling_whisper.WhisperEncoder(config)
    assert model.config._attn_implementation == "sdpa"
    return _randomise(model.double().eval())


def _features(batch: int, frames: int = 100, seed: int = 0) -> np.ndarray:
    """Real log-mel features of noisy chirps, so the conv stem sees Whisper-like input."""
    clips = [chirp(frames / 100, 200.0 + 300 * i, 6000.0 - 500 * i, noise=0.02, rng=seed + i) for i in range(batch)]
    return log_mel_spectrogram(np.stack(clips))


def test_hf_positions_are_whisper_sinusoids(hf_encoder):
    table = hf_encoder.embed_positions.weight.detach().numpy()
    assert np.abs(table - whisper_sinusoids(50, 32)).max() <= 1e-5


@pytest.mark.parametrize("batch", [1, 3])
def test_encoder_equals_hf_whisper_encoder(hf_encoder, batch):
    feats = _features(batch, seed=batch)
    with torch.no_grad():
        want = hf_encoder(torch.from_numpy(feats)).last_hidden_state.numpy()
    params = whisper_encoder_params_from_torch(hf_encoder)
    got = whisper_encoder(feats, params)
    assert got.shape == want.shape == (batch, 50, 32)
    assert np.abs(got - want).max() <= 1e-6


def test_hf_encoder_requires_exactly_twice_max_source_positions(hf_encoder):
    with pytest.raises(ValueError, match="expects the mel input features to be of length 100"):
        hf_encoder(torch.zeros(1, 80, 98, dtype=torch.float64))  # the page: Whisper pads, it does not mask


def test_conv_stem_equals_hf_convolutions(hf_encoder):
    F = torch.nn.functional
    feats = _features(2)
    with torch.no_grad():
        x = torch.from_numpy(feats)
        want = F.gelu(hf_encoder.conv2(F.gelu(hf_encoder.conv1(x)))).permute(0, 2, 1).numpy()
    got = conv_stem(feats, whisper_encoder_params_from_torch(hf_encoder))
    assert got.shape == (2, 50, 32) and np.abs(got - want).max() <= 1e-10


def test_thirty_seconds_make_1500_positions():
    p = init_whisper_encoder_params(d_model=8, num_layers=0, num_positions=1500)
    feats = log_mel_spectrogram(pad_or_trim(chirp(0.5, 300.0, 600.0)))[None]
    assert feats.shape == (1, 80, 3000)
    assert conv_stem(feats, p).shape == (1, 1500, 8)
    assert conv_stem(np.zeros((1, 80, 3001)), p).shape == (1, 1501, 8)  # the page: keep the last frame, 1501


# ------------------------------------------------------------ conventions that must not flip


def test_convention_flips_are_caught(extractor, hf_encoder):
    x = _clips()["mix-then-silence"]
    want = extractor._np_extract_fbank_features(x[None].astype(np.float32), "cpu")[0]
    mel = mel_filterbank() @ power_spectrogram(x)
    log10 = np.log10(np.maximum(mel, 1e-10))
    natural = np.log(np.maximum(mel, 1e-10))[:, :-1]
    flips = {
        "htk mel scale": log_mel_spectrogram(x, htk=True),
        "natural log": (np.maximum(natural, natural.max() - 8) + 4) / 4,
        "no max - 8 clamp": (log10[:, :-1] + 4) / 4,
        "last frame kept": ((np.maximum(log10, log10.max() - 8) + 4) / 4)[:, 1:],
    }
    for name, wrong in flips.items():
        assert wrong.shape == want.shape, name
        assert np.abs(wrong - want).max() > 0.05, name
    params = whisper_encoder_params_from_torch(hf_encoder)
    with pytest.raises(ValueError, match="100 frames for 50 positions"):
        whisper_encoder(_features(1), {**params, "stride2": 1})  # stride 1 keeps 100 positions


def test_special_tokens_agree_with_transformers():
    tw = pytest.importorskip("transformers.models.whisper.tokenization_whisper")
    cw = pytest.importorskip("transformers.models.whisper.configuration_whisper")
    assert tuple(tw.LANGUAGES)[:99] == LANGUAGES  # same order: token id = 50259 + index
    assert tuple(tw.LANGUAGES)[99:] == ("yue",)  # large-v3's hundredth language
    assert tw.TASK_IDS == ["translate", "transcribe"]
    # Hugging Face suppresses <|startoftranscript|>, <|startoflm|>, <|startofprev|>, <|nospeech|> in multilingual models
    for name in ("<|startoftranscript|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>"):
        assert SPECIAL_TOKENS[name] in cw.NON_SPEECH_TOKENS_MULTI
    assert max(cw.NON_SPEECH_TOKENS_MULTI) == SPECIAL_TOKENS["<|nospeech|>"] == 50362
    assert SPECIAL_TOKENS["<|notimestamps|>"] == 50363  # WhisperTimeStampLogitsProcessor's documented default
    assert SPECIAL_TOKENS["<|endoftext|>"] == 50257 and len(SPECIAL_TOKENS) == 107
    assert cw.WhisperConfig().vocab_size == 51865 == 50364 + 1501  # + timestamps <|0.00|> ... <|30.00|>


def test_decoder_prompts():
    assert decoder_prompt_ids("en", "translate") == [50258, 50259, 50358, 50363]
    assert decoder_prompt_ids("de", timestamps=True) == [50258, 50261, 50359]
    assert decoder_prompt_ids(None) == [50258, 50359, 50363]
    assert decoder_prompt_ids("su") == [50258, 50357, 50359, 50363]
    with pytest.raises(ValueError, match="task must be"):
        decoder_prompt_ids("en", "summarise")
    with pytest.raises(ValueError, match="language must be one of"):
        decoder_prompt_ids("english")


def test_bad_input_messages():
    with pytest.raises(ValueError, match="longer than n_fft // 2"):
        stft(np.zeros(150))
    with pytest.raises(ValueError, match="norm must be"):
        mel_filterbank(norm="htk")
    with pytest.raises(ValueError, match="channels must be even"):
        whisper_sinusoids(4, 5)
    with pytest.raises(ValueError, match="features must have shape"):
        conv_stem(np.zeros((80, 10)), init_whisper_encoder_params())
    with pytest.raises(TypeError, match="WhisperEncoder"):
        whisper_encoder_params_from_torch(torch.nn.Linear(2, 2))


# ------------------------------------------------------------------ exercises and the bank


@pytest.mark.parametrize(
    ("exercise", "reference"),
    [("whisper.power-spectrogram", power_spectrogram), ("whisper.log-mel", log_mel_spectrogram)],
)
def test_exercise_checks_pass_on_the_package(exercise, reference):
    results = run_checks(CHECKS[exercise], reference)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_bank_numeric_keys():
    computed = {
        "whisper.frames-30s": log_mel_spectrogram(np.zeros(480000) + 1e-3).shape[-1],
        "whisper.positions-30s": conv_stem(
            np.zeros((1, 80, 3000)), init_whisper_encoder_params(d_model=4, num_positions=1500)
        ).shape[1],
        "whisper.freq-bins": stft(np.zeros(1000)).shape[-2],
        "whisper.bin-spacing": 16000 / 400,
        "whisper.window-ms": 1000 * 400 / 16000,
        "whisper.dynamic-range-db": 10 * 8,
        "whisper.mel-1000": float(hz_to_mel(1000.0)),
        "whisper.transcribe-id": SPECIAL_TOKENS["<|transcribe|>"],
    }
    check_numeric_keys("whisper", computed, bank_tolerance)
