#!/usr/bin/python3
"""Builds tiny ONNX models for the tests, in the layout of Azure Custom Vision ONNX exports
(../shared/spec/customvision-export.md §3 and §5), because no real export small enough is stored.

  classifier-rgb/   input [1,3,16,16], metadata Rgb8 + 0..1; output [1,3] = sigmoid(10*mean(channel) - 5)
                    labels in RGB order: Red, Green, Blue. A pure red image must give Red ~0.99.
  classifier-bgr/   the same network but metadata Bgr8 + 0..255 and a 1/255 scale inside: labels Blue, Green, Red.
  detector/         input [1,3,32,32] RGB 0..1, output [1,35,2,2]: a YOLOv2 grid for 5 anchors and 2 labels
                    (Apple, Banana). Each grid cell sees one 16x16 quadrant; anchor 0's objectness is
                    40*red - 20 and its class logits are (3, 0); tx = ty = 0.5, tw = th = 0. Every other anchor's
                    objectness is -20. A red top-left quadrant must give one Apple box centred at (0.25, 0.25).

usage: make_onnx_models.py OUT_DIR
"""
import json, os, sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper


def save(model, folder, labels, meta, domain):
    os.makedirs(folder, exist_ok=True)
    for k, v in meta.items():
        e = model.metadata_props.add(); e.key = k; e.value = v
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("\r\n".join(labels))  # CRLF and no final newline, as some exports have
    with open(os.path.join(folder, "cvexport.manifest"), "w") as f:
        json.dump({"DomainType": domain, "Platform": "ONNX", "Flavor": "ONNX12", "ModelFileName": "model.onnx",
                   "LabelFileName": "labels.txt", "SchemaVersion": "1.0"}, f)


def classifier(scale):
    w = np.zeros((3, 3, 1, 1), np.float32)
    for c in range(3):
        w[c, c, 0, 0] = 10.0 * scale
    b = np.full((3,), -5.0, np.float32)
    nodes = [
        helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
        helper.make_node("Conv", ["pooled", "w", "b"], ["logits4"], kernel_shape=[1, 1]),
        helper.make_node("Flatten", ["logits4"], ["logits"], axis=1),
        helper.make_node("Sigmoid", ["logits"], ["model_output"]),
    ]
    g = helper.make_graph(nodes, "classifier",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("model_output", TensorProto.FLOAT, [1, 3])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def detector():
    A, C = 5, 2
    K = A * (5 + C)
    w = np.zeros((K, 3, 1, 1), np.float32)
    b = np.zeros((K,), np.float32)
    for a in range(A):
        base = a * (5 + C)
        b[base + 0] = 0.5; b[base + 1] = 0.5          # tx, ty
        b[base + 4] = -20.0                            # objectness logit
        b[base + 5] = 3.0                              # class logits (3, 0)
    w[4, 0, 0, 0] = 40.0                               # anchor 0 objectness += 40 * red (channel 0 = R)
    nodes = [
        helper.make_node("AveragePool", ["data"], ["cells"], kernel_shape=[16, 16], strides=[16, 16]),
        helper.make_node("Conv", ["cells", "w", "b"], ["model_outputs0"], kernel_shape=[1, 1]),
    ]
    g = helper.make_graph(nodes, "detector",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("model_outputs0", TensorProto.FLOAT, [1, K, 2, 2])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def main():
    out = sys.argv[1]
    save(classifier(1.0), os.path.join(out, "classifier-rgb"), ["Red", "Green", "Blue"],
         {"Image.BitmapPixelFormat": "Rgb8", "Image.NominalPixelRange": "Normalized_0_1"}, "Classification")
    save(classifier(1.0 / 255.0), os.path.join(out, "classifier-bgr"), ["Blue", "Green", "Red"],
         {"Image.BitmapPixelFormat": "Bgr8", "Image.NominalPixelRange": "NominalRange_0_255"}, "Classification")
    save(detector(), os.path.join(out, "detector"), ["Apple", "Banana"],
         {"Image.BitmapPixelFormat": "Rgb8", "Image.NominalPixelRange": "Normalized_0_1"}, "ObjectDetection")
    print("test models written to", out)


if __name__ == "__main__":
    main()
