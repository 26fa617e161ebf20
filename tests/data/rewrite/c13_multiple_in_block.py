import torch.nn as nn


class A(nn.Module):
    def __init__(self):
        nn.Module.__init__(self)
        self.a = nn.Linear(2, 2)


class B(nn.Module):
    def __init__(self):
        nn.Module.__init__(self)
        self.b = nn.Linear(2, 2)


class C(A, B):
    def __init__(self):
        # c comment
        self.blocks = [nn.Linear(2, 2)]
        A.__init__(self)
        # between
        B.__init__(self)
        # after
