import functools

import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        @functools.lru_cache()
        def width():
            return 2
        self.lin = nn.Linear(width(), 2)
