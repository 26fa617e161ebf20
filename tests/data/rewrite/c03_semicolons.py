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
        A.__init__(self); B.__init__(self)
        self.c = nn.Linear(2, 2)
