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

from rankbound.losses import (
    TARGETS,
    listnet_target,
    log_softmax,
    negatives_cross_entropy,
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

__version__ = "0.1.0"

__all__ = [
    "TARGETS",
    "TIE_POLICIES",
    "average_precision",
    "dcg",
    "gains",
    "listnet_target",
    "log_softmax",
    "ndcg",
    "negatives_cross_entropy",
    "order",
    "precision_at_k",
    "ranks",
    "recall_at_k",
    "reciprocal_rank",
    "softmax_cross_entropy",
    "softmax_cross_entropy_gradient",
    "tied_ranks",
]
