from torch.nn import Module, Linear
class M(Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Linear(2, 2) for _ in range(2)]
