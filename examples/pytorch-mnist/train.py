"""Trains a small convolutional network with PyTorch on a GPU (or the CPU when none is visible).

The data is the handwritten digits set that scikit-learn ships (1,797 images of 8x8 pixels, the
UCI/NIST digits): real data that needs no download at run time, unlike MNIST's own files, so the
job runs on machines that reach no data host. Reads CONFIGURATION_FILE like every plz job.
"""
import json
import os
import time

import torch
from sklearn.datasets import load_digits
from torch import nn

DEFAULTS = {"learning_rate": 0.003, "channels": 32, "epochs": 30, "batch_size": 64, "seed": 0}


def configuration():
    path = os.environ.get("CONFIGURATION_FILE")
    if path:
        with open(path) as f:
            return json.load(f)
    return {"output_directory": "output", "measures_directory": "measures",
            "summary_measures_path": "summary.json", "parameters": {}}


def network(channels):
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, channels * 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(channels * 2 * 4 * 4, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    config = configuration()
    params = {**DEFAULTS, **config["parameters"]}
    os.makedirs(config["output_directory"], exist_ok=True)
    os.makedirs(config["measures_directory"], exist_ok=True)
    torch.manual_seed(params["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"device: {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else 'no GPU'})", flush=True)

    images, labels = load_digits(return_X_y=True)
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
    y = torch.tensor(labels)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(params["seed"]))
    split = int(len(x) * 0.75)
    train, test = order[:split], order[split:]
    x_train, y_train, x_test, y_test = x[train].to(device), y[train].to(device), x[test].to(device), y[test].to(device)

    model = network(int(params["channels"])).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=float(params["learning_rate"]))
    loss_fn = nn.CrossEntropyLoss()
    started = time.monotonic()
    best_accuracy, best_epoch = 0.0, 0
    for epoch in range(1, int(params["epochs"]) + 1):
        model.train()
        permutation = torch.randperm(len(x_train), device=device)
        total = 0.0
        for start in range(0, len(x_train), int(params["batch_size"])):
            batch = permutation[start:start + int(params["batch_size"])]
            optimiser.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        training_loss = total / len(x_train)
        print(f"epoch {epoch:3d}: training loss {training_loss:.4f}, test accuracy {accuracy:.4f}", flush=True)
        with open(os.path.join(config["measures_directory"], f"epoch_{epoch}"), "w") as f:
            json.dump({"training_loss": training_loss, "accuracy": accuracy}, f)
        if accuracy > best_accuracy:
            best_accuracy, best_epoch = accuracy, epoch

    torch.save(model.state_dict(), os.path.join(config["output_directory"], "model.pt"))
    summary = {"best_accuracy": best_accuracy, "best_epoch": best_epoch, "final_accuracy": accuracy,
               "training_time_seconds": round(time.monotonic() - started, 3), "device": str(device)}
    with open(config["summary_measures_path"], "w") as f:
        json.dump(summary, f)
    print(f"best test accuracy {best_accuracy:.4f} at epoch {best_epoch}; model saved as model.pt", flush=True)


if __name__ == "__main__":
    main()
