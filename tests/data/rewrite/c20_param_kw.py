import torch
import torch.nn as nn


class P(nn.Module):
    def __init__(self, device="cpu"):
        super().__init__()
        self.w = nn.Parameter(data=torch.randn(3)).to(device)
        self.v = nn.Parameter(torch.randn(3), requires_grad=True).to(device)
        self.blocks = [nn.Linear(2, 2)]

    def forward(self, x):
        return x * self.w * self.v
