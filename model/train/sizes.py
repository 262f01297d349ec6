"""Model sizes shipped by ptd."""
from modeling import BertConfig

SIZES = {
    # name: (layers, hidden, heads, intermediate)
    "tiny": (2, 64, 2, 128),
    "small": (4, 256, 4, 1024),
    "base": (6, 256, 4, 1024),
}


def model_config(size, vocab_size, max_tokens, dropout=0.1):
    layers, hidden, heads, inter = SIZES[size]
    return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=inter, max_position_embeddings=max_tokens,
                      hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)


def autocast(precision):
    """bf16 autocast on CPU (or CUDA when the model is there); a no-op context for fp32."""
    import contextlib
    import torch

    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast("cuda" if torch.cuda.is_available() else "cpu", dtype=torch.bfloat16)


def device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
