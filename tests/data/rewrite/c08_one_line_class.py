import torch.nn as nn
class M(nn.Module):
    def __init__(self): super().__init__(); self.blocks = [nn.Linear(2, 2)]
class N(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2)]
