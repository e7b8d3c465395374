"""rankbound: softmax cross-entropy (ListNet) bounds ranking metrics.

The package behind the book of the same name. Every object the book uses is here, tested against
trec_eval and scikit-learn, and strict about bad input.

>>> import rankbound as rb
>>> labels, scores = [0, 1, 0, 1], [2.0, 1.5, 0.3, -1.0]
>>> round(rb.reciprocal_rank(labels, scores), 4)
0.5
>>> import numpy as np
>>> bool(-np.log(rb.reciprocal_rank(labels, scores)) <= rb.softmax_cross_entropy(labels, scores))
True
"""

from rankbound.bounds import (
    BOUND_NAMES,
    BoundReport,
    average_precision_bound,
    check,
    graded_ndcg_bound,
    mean_bound,
    ndcg_bound,
    rank_lemma,
    recall_bound,
    reciprocal_rank_bound,
)
from rankbound.datasets import RankingData, load_digits_retrieval, load_mslr_sample, synthetic_lists
from rankbound.losses import (
    MARGIN_KINDS,
    TARGETS,
    info_nce,
    listnet_target,
    log_softmax,
    margin_logits,
    negatives_cross_entropy,
    sampled_softmax_cross_entropy,
    softmax_cross_entropy,
    softmax_cross_entropy_gradient,
)
from rankbound.metrics import (
    average_precision,
    dcg,
    gains,
    ndcg,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from rankbound.ranking import TIE_POLICIES, order, ranks, tied_ranks
from rankbound.train import TrainLog, train_embedding, train_listnet_linear

__version__ = "0.1.0"

__all__ = [
    "BOUND_NAMES",
    "MARGIN_KINDS",
    "TARGETS",
    "TIE_POLICIES",
    "BoundReport",
    "RankingData",
    "TrainLog",
    "average_precision",
    "average_precision_bound",
    "check",
    "dcg",
    "gains",
    "graded_ndcg_bound",
    "info_nce",
    "listnet_target",
    "load_digits_retrieval",
    "load_mslr_sample",
    "log_softmax",
    "margin_logits",
    "mean_bound",
    "ndcg",
    "ndcg_bound",
    "negatives_cross_entropy",
    "order",
    "precision_at_k",
    "rank_lemma",
    "ranks",
    "recall_at_k",
    "recall_bound",
    "reciprocal_rank",
    "reciprocal_rank_bound",
    "sampled_softmax_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_gradient",
    "synthetic_lists",
    "tied_ranks",
    "train_embedding",
    "train_listnet_linear",
]
