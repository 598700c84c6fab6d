"""Data-parallel training with tf.distribute: two logical CPU devices stand in for two GPUs."""

import subprocess
import sys
import textwrap

import numpy as np

import aeguard

SCRIPT = textwrap.dedent("""
    import sys
    import tensorflow as tf

    # Logical devices must be set before TensorFlow starts: hence a fresh process.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    import aeguard

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 6))
    with strategy.scope():
        det = aeguard.AEDetector(epochs=8, random_state=0).fit(X)
    variable = det.model_.trainable_variables[0]
    print(strategy.num_replicas_in_sync, type(variable.value).__name__,
          det.history_["loss"][0], det.history_["loss"][-1])
    aeguard.save(det, sys.argv[1])
    np.save(sys.argv[2], det.score_samples(X))
""")


def test_mirrored_strategy_trains_on_two_devices_and_saves_a_plain_model(tmp_path):
    model, scores = tmp_path / "det.aeg", tmp_path / "scores.npy"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(model), str(scores)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    replicas, variable, first, last = done.stdout.split()[-4:]
    assert replicas == "2" and variable == "MirroredVariable"
    assert float(last) < 0.85 * float(first)  # it learned
    # The saved model loads and scores the same here, with no strategy and one device.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 6))
    np.testing.assert_allclose(aeguard.load(model).score_samples(X), np.load(scores), rtol=1e-5)
