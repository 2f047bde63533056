"""The frost mirror: the visitor, live, as a polar explorer in the frost.

camera (frame sources) -> cues (faces, person mask) -> stylizer (ONNX) -> pipeline (worker
thread, latest frame) -> scene (behaviour) and view (pygame drawing). The model is authored in
``frost_model`` with torch and exported by ``kiosk models build``; at run time only onnxruntime
is needed. Camera frames never leave memory.
"""
