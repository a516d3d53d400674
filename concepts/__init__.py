"""Small, tested implementations of the concepts that ML and LLM interviews probe.

This file is also the catalog: the single list of concepts, in reading order. The site's
index, ``python -m quiz`` with no argument, and the consistency test all read ``CATALOG``.
It imports nothing heavy, so the quiz runner can read it without loading NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOG", "PARTS", "Concept", "by_slug", "slugs"]

PARTS: dict[int, str] = {
    1: "Transformer building blocks",
    2: "Model families",
    3: "Efficient inference and attention variants",
    4: "Training and adapting LLMs",
    5: "Deep-learning foundations",
    6: "Classical ML",
}


@dataclass(frozen=True)
class Concept:
    """One catalog entry: the slug names the module, page, bank and test file."""

    slug: str
    title: str
    part: int
    summary: str


CATALOG: tuple[Concept, ...] = (
    Concept(
        "attention",
        "Scaled dot-product attention",
        1,
        "Queries look up keys by similarity and average the values; why scores are divided by $\\sqrt{d_k}$.",
    ),
    Concept(
        "multi_head_attention",
        "Multi-head attention",
        1,
        "Split $d_\\text{model}$ into $h$ heads, attend in each, concatenate and project: $4d^2+4d$ parameters.",
    ),
    Concept(
        "grouped_query_attention",
        "MQA and GQA",
        1,
        "Query heads share key/value heads in groups: the KV cache shrinks by $h/g$; MHA checkpoints mean-pool.",
    ),
    Concept(
        "kv_cache",
        "KV cache",
        1,
        "Keep past keys and values so a decode step feeds one token: exact by causality, $2Lh_{kv}d$ values a token.",
    ),
    Concept(
        "positional_encoding",
        "Positional encoding",
        1,
        "Attention is order-blind: sinusoidal, learned, RoPE (two pairings) and ALiBi, and why relative wins.",
    ),
    Concept(
        "tokenization",
        "Tokenization",
        1,
        "Byte-level BPE trained with incremental pair counts, WordPiece, Unigram; why token count is cost.",
    ),
    Concept(
        "embeddings",
        "Embeddings",
        1,
        "Token ids to dense vectors: lookup as one-hot product, word2vec SGNS, GloVe, cosine, tying, anisotropy.",
    ),
    Concept(
        "feed_forward",
        "Feed-forward networks and activations",
        1,
        "Position-wise FFN; ReLU, GELU (exact vs tanh), SiLU, SwiGLU at $8d/3$: why Llama-7B's FFN is 11008 wide.",
    ),
    Concept(
        "masking",
        "Masking",
        1,
        "Padding, causal, combined and prefix-LM masks; -inf vs finite fills; fully masked rows; BERT's 80/10/10.",
    ),
    Concept(
        "normalization",
        "LayerNorm and RMSNorm",
        1,
        "Normalise each token's features (LayerNorm centres and scales, RMSNorm only scales); Pre-LN vs Post-LN.",
    ),
    Concept(
        "batch_norm",
        "Batch normalization",
        1,
        "Normalise by batch statistics in training and running statistics at inference; fold into the layer before.",
    ),
    Concept(
        "transformer",
        "The Transformer",
        1,
        "Encoder and decoder layers, post-LN (the paper) vs pre-LN, label smoothing, warm-up, the base model's size.",
    ),
    Concept(
        "architectures",
        "Encoder, decoder, encoder-decoder",
        1,
        "Bidirectional, causal and prefix-LM masks, cross-attention; which tasks each suits, and why decoders won.",
    ),
    Concept(
        "decoding",
        "Greedy and beam search",
        1,
        "Greedy vs beam search with length normalisation; n-gram blocking and repetition penalty; when beams help.",
    ),
    Concept(
        "sampling",
        "Temperature, top-k, top-p",
        1,
        "Temperature reshapes, top-k / nucleus / min-p cut the tail (order matters), then draw exactly.",
    ),
    Concept(
        "rnn",
        "Why transformers replaced RNNs",
        1,
        "Elman RNN and LSTM vs nn.RNN, backprop through time, vanishing gradients measured, $O(n)$ path length.",
    ),
    Concept(
        "bert",
        "BERT and masked language modelling",
        2,
        "A bidirectional encoder trained to fill in masked tokens: [CLS]/[SEP], segments, 80/10/10, fine-tuning heads.",
    ),
    Concept(
        "gpt",
        "GPT and causal language modelling",
        2,
        "Next-token prediction with a decoder assembled from this package's parts, trained on a CPU in a minute.",
    ),
    Concept(
        "encoder_decoder_models",
        "T5 and BART",
        2,
        "Span corruption with sentinels, BART's noising, relative position buckets and teacher forcing.",
    ),
    Concept(
        "vit",
        "Vision Transformer",
        2,
        "Images as sequences of patches: a strided convolution, a [CLS] token and position embeddings.",
    ),
    Concept(
        "whisper",
        "Whisper and audio transformers",
        2,
        "Log-mel spectrograms, a strided convolutional stem and an encoder-decoder driven by task tokens.",
    ),
    Concept(
        "mixture_of_experts",
        "Mixture of experts",
        2,
        "Top-k routing with renormalised gates, a load-balancing loss, capacity, and total vs active parameters.",
    ),
    Concept(
        "flash_attention",
        "Flash attention",
        3,
        "Exact attention in tiles with an online softmax: memory traffic, not FLOPs, sets the speed.",
    ),
    Concept(
        "attention_variants",
        "Sliding-window, sparse, linear, differential",
        3,
        "Attention under band and sparse masks, linear attention's recurrent form, differential attention and MLA.",
    ),
    Concept(
        "speculative_decoding",
        "Speculative decoding",
        3,
        "A cheap draft proposes, the target verifies in one pass, and rejection sampling keeps its distribution exact.",
    ),
    Concept(
        "scaling_laws",
        "Scaling laws",
        3,
        "Loss as a power law in parameters and tokens; C = 6ND and Chinchilla's compute-optimal allocation.",
    ),
    Concept(
        "lora",
        "LoRA and PEFT",
        4,
        "Freeze W and learn a low-rank update BA scaled by alpha/r; merge it for zero added latency; QLoRA's NF4.",
    ),
    Concept(
        "rlhf",
        "RLHF and DPO",
        4,
        "Reward models from preferences, PPO with a KL leash, and DPO's loss that needs no reward model.",
    ),
    Concept(
        "rag",
        "Retrieval-augmented generation",
        4,
        "Chunk, retrieve with BM25 and dense vectors, fuse ranks, re-rank, and measure recall and MRR.",
    ),
    Concept(
        "backpropagation",
        "Backpropagation",
        5,
        "The chain rule on a graph, in reverse: a scalar autodiff engine, manual backward passes and gradient checks.",
    ),
    Concept(
        "optimizers",
        "Optimizers and schedules",
        5,
        "SGD, momentum, RMSProp, Adam and AdamW step by step; warm-up with cosine decay; clipping by global norm.",
    ),
    Concept(
        "softmax_cross_entropy",
        "Softmax and cross-entropy",
        5,
        "Stable softmax and log-sum-exp, the gradient p - y, label smoothing, ignored targets and perplexity.",
    ),
    Concept(
        "regularization",
        "Dropout and regularization",
        5,
        "Inverted dropout, L2 vs decoupled weight decay, L1 sparsity and early stopping.",
    ),
    Concept(
        "bias_variance",
        "Bias-variance trade-off",
        6,
        "Expected error as bias squared plus variance plus noise, measured by Monte Carlo; double descent.",
    ),
    Concept(
        "logistic_regression",
        "Logistic regression",
        6,
        "A sigmoid of a linear score fitted by cross-entropy: gradient, Hessian, L2 and the softmax extension.",
    ),
    Concept(
        "pca",
        "Principal component analysis",
        6,
        "Directions of largest variance, by eigenvectors or the SVD; explained variance and reconstruction.",
    ),
    Concept(
        "gradient_boosting",
        "Gradient boosting and XGBoost",
        6,
        "Trees fitted to negative gradients with shrinkage; XGBoost's second-order gain and leaf weights.",
    ),
)


def slugs() -> list[str]:
    """The catalog's slugs in reading order.

    >>> slugs()[0]
    'attention'
    """
    return [c.slug for c in CATALOG]


def by_slug(slug: str) -> Concept:
    """The catalog entry for ``slug``.

    :raises KeyError: when no concept has that slug.

    >>> by_slug("pca").part
    6
    """
    for concept in CATALOG:
        if concept.slug == slug:
            return concept
    raise KeyError(slug)
