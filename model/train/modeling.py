"""BERT in plain PyTorch with Hugging Face parameter names (torch 1.13 and 2.x).

BertForTokenClassification's state_dict loads into HF `transformers` and exports to ONNX for
transformers.js. BertForMaskedLM shares the `bert.*` parameters for pretraining.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class BertConfig:
    def __init__(self, vocab_size=12000, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 intermediate_size=1024, hidden_act="gelu", hidden_dropout_prob=0.1,
                 attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                 initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0, num_labels=2, **extra):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.pad_token_id = pad_token_id
        self.num_labels = num_labels
        self.extra = extra

    def to_hf_dict(self, ptd=None):
        d = {
            "architectures": ["BertForTokenClassification"],
            "model_type": "bert",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "intermediate_size": self.intermediate_size,
            "hidden_act": self.hidden_act,
            "hidden_dropout_prob": self.hidden_dropout_prob,
            "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "initializer_range": self.initializer_range,
            "layer_norm_eps": self.layer_norm_eps,
            "pad_token_id": self.pad_token_id,
            "position_embedding_type": "absolute",
            "classifier_dropout": None,
            "num_labels": 2,
            "id2label": {"0": "PARAPHRASED", "1": "LEXICAL_CHANGE"},
            "label2id": {"PARAPHRASED": 0, "LEXICAL_CHANGE": 1},
            "problem_type": "multi_label_classification",
            "torch_dtype": "float32",
            "transformers_version": "4.46.0",
        }
        if ptd is not None:
            d["ptd"] = ptd
        return d

    @classmethod
    def from_dict(cls, d):
        keys = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id"]
        return cls(**{k: d[k] for k in keys if k in d})

    @classmethod
    def from_json(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


def _gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        seq = input_ids.shape[1]
        pos = torch.arange(seq, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h = c.num_attention_heads
        self.d = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)
        self.p = c.attention_probs_dropout_prob

    def _split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.h, self.d).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = self._split(self.query(x)), self._split(self.key(x)), self._split(self.value(x))
        if hasattr(F, "scaled_dot_product_attention") and not torch.onnx.is_in_onnx_export():
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=self.p if self.training else 0.0)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + bias
            ctx = torch.matmul(self.dropout(torch.softmax(scores, dim=-1)), v)
        b, _, s, _ = ctx.shape
        return ctx.transpose(1, 2).reshape(b, s, self.h * self.d)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, bias):
        return self.output(self.self(x, bias), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return _gelu(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, x, bias):
        for layer in self.layer:
            x = layer(x, bias)
        return x


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)
        # additive mask [b, 1, 1, s]; -1e4 (not -inf) keeps padded rows finite, as HF BERT did
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        return self.encoder(x, bias)


def init_weights(module, std):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class BertForTokenClassification(nn.Module):
    """Two output channels per token: 0 = paraphrase logit, 1 = degree (lexical change) logit."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.classifier = nn.Linear(c.hidden_size, 2)
        init_weights(self, c.initializer_range)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        return self.classifier(self.dropout(self.bert(input_ids, attention_mask, token_type_ids)))


class BertForMaskedLM(nn.Module):
    """HF names: cls.predictions.transform.{dense,LayerNorm}, cls.predictions.bias; decoder tied to embeddings."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.cls = nn.Module()
        self.cls.predictions = nn.Module()
        self.cls.predictions.transform = nn.Module()
        self.cls.predictions.transform.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.cls.predictions.transform.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.cls.predictions.bias = nn.Parameter(torch.zeros(c.vocab_size))
        init_weights(self, c.initializer_range)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, positions=None):
        h = self.bert(input_ids, attention_mask, token_type_ids)
        if positions is not None:  # only the masked positions: [n, hidden]
            h = h[positions]
        t = self.cls.predictions.transform
        h = t.LayerNorm(_gelu(t.dense(h)).float())  # float: LayerNorm under CPU bf16 autocast wants fp32
        return F.linear(h, self.bert.embeddings.word_embeddings.weight, self.cls.predictions.bias)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def save_pretrained(model, out_dir, ptd=None):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(model.config.to_hf_dict(ptd), f, indent=2)
        f.write("\n")
    torch.save(model.state_dict(), os.path.join(out_dir, "pytorch_model.bin"))


def load_token_classifier(model_dir, map_location="cpu"):
    """The model a directory describes: a BertForTokenClassification (pytorch_model.bin, Hugging Face names),
    wrapped with its wide half when the directory also holds wide.bin (see wide.py), its context head when it
    also holds context.bin (context.py) and its degree head when it holds degree.bin."""
    c = BertConfig.from_json(os.path.join(model_dir, "config.json"))
    m = BertForTokenClassification(c)
    m.load_state_dict(torch.load(os.path.join(model_dir, "pytorch_model.bin"), map_location=map_location))
    wide_path = os.path.join(model_dir, "wide.bin")
    if os.path.exists(wide_path):
        import wide

        head, mix, _ = wide.load_head(wide_path)
        ctx_path = os.path.join(model_dir, "context.bin")
        ctx = None
        if os.path.exists(ctx_path):
            import context

            ctx, _ = context.load_head(ctx_path)
        degree_path = os.path.join(model_dir, "degree.bin")
        degree = wide.load_head(degree_path)[0] if os.path.exists(degree_path) else None
        return wide.WideDeep(m, head, mix, ctx, degree)
    return m
