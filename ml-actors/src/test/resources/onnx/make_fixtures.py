"""Writes the ONNX import fixtures (run once by hand; tests never run Python).

/usr/bin/python3 make_fixtures.py /work/shared/data/mnist   (torch 1.13, onnx 1.12)
"""
import gzip, json, sys, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
import onnx

mnist = sys.argv[1]
out = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)

with gzip.open(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)[:8].tolist()
with gzip.open(os.path.join(mnist, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
x = torch.tensor(images[:8], dtype=torch.float32) / 255.0


class MlpTanh(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        return self.fc3(torch.tanh(self.fc2(torch.tanh(self.fc1(x)))))


class ResCnn(nn.Module):
    """Conv+BN, a residual block, average pooling, a grouped strided conv, max pooling, global
    average pooling, a flatten through Shape/Gather/Unsqueeze/Concat/Reshape, and a linear head."""
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(2, count_include_pad=False)
        self.conv3 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
        self.conv4 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = x.reshape(x.size(0), 1, 28, 28)
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(h + self.bn2(self.conv2(h)))
        h = self.pool(h)                                # 14x14
        h = F.leaky_relu(self.conv3(h), 0.1)            # 7x7
        h = F.max_pool2d(h, 2)                          # 3x3
        h = torch.sigmoid(self.conv4(h)) * h            # fan-out, Mul
        h = F.adaptive_avg_pool2d(h, 1)
        h = h.reshape(h.size(0), -1)
        return self.fc(h)


class OpsNet(nn.Module):
    """MatMul, Sub, Div, Softmax, LogSoftmax, Concat, Transpose, Flatten and Dropout."""
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(784, 32) * 0.05)
        self.c = nn.Parameter(torch.randn(32) * 0.1)
        self.d = nn.Parameter(torch.rand(32) + 0.5)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = (x @ self.w - self.c) / self.d
        h = torch.cat([torch.softmax(h, -1), torch.log_softmax(h, -1)], 1)
        h = torch.flatten(h.reshape(-1, 8, 8).transpose(1, 2), 1)
        return self.fc(self.drop(h))


def export(model, name, opset, external=False):
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    if external:
        m = onnx.load(path)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=name + ".data", size_threshold=0)
    onnx.checker.check_model(path)


mlp = MlpTanh().eval()
opsnet = OpsNet().eval()
cnn = ResCnn()
cnn.train()
with torch.no_grad():  # running statistics that are not the initial 0/1
    for _ in range(3):
        cnn(x * 2 + 0.1)
cnn.eval()

export(mlp, "mlp-tanh", 11)
export(opsnet, "ops", 13)
export(cnn, "rescnn", 13)
export(cnn, "rescnn-opset17-external", 17, external=True)
torch.save(mlp.state_dict(), os.path.join(out, "mlp-tanh.pt"))
seq = nn.Sequential(nn.Linear(784, 300), nn.Tanh(), nn.Linear(300, 100), nn.Tanh(), nn.Linear(100, 10))
seq.load_state_dict({k: v for k, v in zip(seq.state_dict().keys(), mlp.state_dict().values())})
torch.save(seq.state_dict(), os.path.join(out, "mlp-tanh-sequential.pt"))

with torch.no_grad():
    io = {"inputs": x.tolist(), "labels": labels, "ops": opsnet(x).tolist(),
          "rescnn_state_dict": {k: list(v.shape) for k, v in cnn.state_dict().items()}, "mlp-tanh": mlp(x).tolist(), "rescnn": cnn(x).tolist(),
          "mlp-tanh-sequential": seq(x).tolist(), "torch": torch.__version__, "onnx": onnx.__version__}
with open(os.path.join(out, "io.json"), "w") as f:
    json.dump(io, f)
