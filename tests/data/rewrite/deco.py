import torch.nn as nn


@(
    lambda c: c
)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2)]
