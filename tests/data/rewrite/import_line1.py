X = 1
from torch.nn import Linear, Module
class Net(Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Linear(2, 2)]
