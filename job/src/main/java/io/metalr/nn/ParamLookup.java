package io.metalr.nn;

import ai.djl.ndarray.NDArray;

/**
 * Where a forward pass finds its tensors by name. Forward passes are functions of a lookup, so the
 * MetaLR lookahead evaluates the same network at theta' without copying or mutating the model.
 */
@FunctionalInterface
public interface ParamLookup {
    NDArray get(String name);
}
