from torch.nn import Linear
X = 1
from torch.nn import Module


class Net(Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Linear(2, 2) for _ in range(3)]
