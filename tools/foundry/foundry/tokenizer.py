"""A character-level tokenizer written as a Hugging Face tokenizer.json (BPE with no merges)."""
import json

PAD, BOS, UNK = "<pad>", "<bos>", "<unk>"
SPECIALS = [PAD, BOS, UNK]
CHARSET = "\n !\"$%&'()*+,-./0123456789:;=?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class CharTokenizer:
    def __init__(self, vocab):
        self.vocab = vocab
        self.inv = {i: t for t, i in vocab.items()}
        self.pad_id, self.bos_id, self.unk_id = vocab[PAD], vocab[BOS], vocab[UNK]

    @classmethod
    def default(cls):
        return cls({t: i for i, t in enumerate(SPECIALS + list(CHARSET))})

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls(json.load(f)["model"]["vocab"])

    def encode(self, text, bos=True):
        ids = [self.vocab.get(ch, self.unk_id) for ch in text]
        return [self.bos_id] + ids if bos else ids

    def decode(self, ids):
        return "".join(self.inv[i] for i in ids if i >= len(SPECIALS))

    def save(self, path):
        added = [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for t in SPECIALS]
        doc = {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None, "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}},
                                        {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {BOS: {"id": BOS, "ids": [self.bos_id], "tokens": [BOS]}}},
            "decoder": {"type": "Fuse"},
            "model": {"type": "BPE", "dropout": None, "unk_token": UNK, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": []},
        }
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
