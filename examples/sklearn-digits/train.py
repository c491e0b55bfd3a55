"""Trains a small neural network (an MLP) on the handwritten digits data set that scikit-learn ships.

Reads everything it needs from the file named by CONFIGURATION_FILE, as every plz job does:
parameters, and where to write outputs, per-epoch measures and the summary. Runs locally too
(without plz), writing into ./output, ./measures and ./summary.json.
"""
import json
import os
import pickle
import time

from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

DEFAULTS = {"learning_rate": 0.01, "hidden_units": 64, "epochs": 20, "seed": 0}


def configuration():
    path = os.environ.get("CONFIGURATION_FILE")
    if path:
        with open(path) as f:
            return json.load(f)
    return {
        "output_directory": "output",
        "measures_directory": "measures",
        "summary_measures_path": "summary.json",
        "parameters": {},
    }


def main():
    config = configuration()
    params = {**DEFAULTS, **config["parameters"]}
    os.makedirs(config["output_directory"], exist_ok=True)
    os.makedirs(config["measures_directory"], exist_ok=True)
    print(f"parameters: {json.dumps(params)}", flush=True)

    features, labels = load_digits(return_X_y=True)
    features = features / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.25, random_state=params["seed"], stratify=labels)
    print(f"{len(x_train)} training and {len(x_test)} test images of 8x8 pixels", flush=True)

    model = MLPClassifier(hidden_layer_sizes=(int(params["hidden_units"]),),
                          learning_rate_init=float(params["learning_rate"]),
                          random_state=params["seed"])
    started = time.monotonic()
    best_accuracy, best_epoch = 0.0, 0
    for epoch in range(1, int(params["epochs"]) + 1):
        model.partial_fit(x_train, y_train, classes=list(range(10)))
        accuracy = accuracy_score(y_test, model.predict(x_test))
        print(f"epoch {epoch:3d}: training loss {model.loss_:.4f}, test accuracy {accuracy:.4f}", flush=True)
        with open(os.path.join(config["measures_directory"], f"epoch_{epoch}"), "w") as f:
            json.dump({"training_loss": model.loss_, "accuracy": accuracy}, f)
        if accuracy > best_accuracy:
            best_accuracy, best_epoch = accuracy, epoch

    summary = {
        "best_accuracy": best_accuracy,
        "best_epoch": best_epoch,
        "final_accuracy": accuracy,
        "training_time_seconds": round(time.monotonic() - started, 3),
    }
    with open(os.path.join(config["output_directory"], "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    with open(config["summary_measures_path"], "w") as f:
        json.dump(summary, f)
    print(f"best test accuracy {best_accuracy:.4f} at epoch {best_epoch}; model saved as model.pkl", flush=True)


if __name__ == "__main__":
    main()
