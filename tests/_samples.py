"""Sample sources shared by the CLI, output and hostile-input tests."""

TOWER = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(depth)]

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
"""
TOWER_BUG = "[nn.Linear(4, 4) for _ in range(depth)]"
TOWER_FIX = "nn.ModuleList([nn.Linear(4, 4) for _ in range(depth)])"
TOWER_FIXED = TOWER.replace(TOWER_BUG, TOWER_FIX)
