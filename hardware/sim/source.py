"""The simulated athlete as a first-class camera source.

A scripted, posable body is raycast from a virtual D4xx placement, D4xx stereo noise
is added, and the depth image is pushed through `pyrealsense2.software_device`, so the
SDK's filters (and recorder, for `hinge-kiosk record`) run exactly as for a camera.
Ground truth for every frame is kept beside the frames (`truth`), computed from the
exact body geometry.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hardware.frame import DepthFrame, Intrinsics
from hardware.rs_frames import FilterChain, depth_frame_from_rs
from hardware.settings import FilterConfig
from hardware.sim.bodies import PARAMETRIC, SimBody, body_from_spec
from hardware.sim.camera import CAMERA_MODELS, Placement
from hardware.sim.faults import Fault, active, apply_depth_faults, second_person_offset_m, time_offset_s
from hardware.sim.motion import Script, make_script
from hardware.sim.noise import NoiseConfig, apply_noise
from hardware.sim.raycast import Raycaster, Room
from hardware.sim.skeleton import Pose
from hardware.sim.truth import frame_truth
from hardware.software_device import SoftwareDepthDevice
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

INCH_M = 0.0254


@dataclass(frozen=True)
class SimConfig:
    """Everything that defines a simulated recording. Same config + seed = same frames.

    body: "parametric" (the primitive athlete of height_m and build) or "mpfb:<id>" (a
    MakeHuman person of hardware.sim.population, which sets its own stature; height_m and
    build are then ignored). shirt_ease_m, glute_softness: the parametric athlete's loose
    shirt and soft buttocks (hardware/sim/anthropometry.Athlete; ignored for MPFB people)."""

    script: str = "session"
    script_options: dict[str, Any] = field(default_factory=dict)
    height_m: float = 1.78
    build: str = "average"
    placement: Placement = field(default_factory=Placement)
    camera: str = "D435"
    width: int = 848
    height: int = 480
    fps: int = 30
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    room: Room = field(default_factory=Room)
    seed: int = 0
    max_seconds: float | None = None
    faults: tuple[Fault, ...] = ()  # injected camera faults (hardware/sim/faults.py)
    body: str = PARAMETRIC
    shirt_ease_m: float = 0.0
    glute_softness: float = 0.0

    def describe(self) -> dict[str, Any]:
        return asdict(self)


class SimulatedSource(SourceBase):
    """FrameSource over a scripted simulated athlete. `realtime=True` paces frames at fps;
    otherwise frames come as fast as they render. `record_to` writes a .db3 through the
    SDK recorder (unfiltered, as a camera's recording would be)."""

    def __init__(
        self,
        cfg: SimConfig | None = None,
        filters: FilterConfig | None = None,
        realtime: bool = False,
        record_to: Path | None = None,
    ) -> None:
        self.cfg = cfg or SimConfig()
        if self.cfg.camera not in CAMERA_MODELS:
            raise SourceError(
                f"unknown simulated camera {self.cfg.camera!r}; use one of {', '.join(CAMERA_MODELS)}"
            )
        self.model = CAMERA_MODELS[self.cfg.camera]
        try:
            self._camera_intr = self.model.intrinsics(self.cfg.width, self.cfg.height)
        except ValueError as err:
            raise SourceError(str(err)) from None
        self.body: SimBody = _body(self.cfg)
        self.athlete = self.body  # the name the source had before there were two body families
        self.script: Script = make_script(self.cfg.script, self.body, **self.cfg.script_options)
        duration = (
            self.script.duration_s
            if self.cfg.max_seconds is None
            else min(self.script.duration_s, self.cfg.max_seconds)
        )
        self.n_frames = round(duration * self.cfg.fps)
        self.pose = self.cfg.placement.pose()
        self.truth: list[dict[str, Any]] = []
        self._filters = FilterChain(filters or FilterConfig.off())
        self._realtime = realtime
        self._record_to = record_to
        self._device: SoftwareDepthDevice | None = None
        self._raycaster: Raycaster | None = None
        self._rng = np.random.default_rng(self.cfg.seed)
        self._index = 0
        self._last_good: np.ndarray[Any, Any] | None = None
        self._last_body = np.zeros((self.cfg.height, self.cfg.width), dtype=bool)
        self._t0 = 0.0
        self._state = SourceState.STOPPED

    def start(self) -> None:
        self._raycaster = Raycaster(self._camera_intr, self.pose, self.cfg.room, self.model.baseline_m)
        self._device = SoftwareDepthDevice(
            self._camera_intr,
            self.cfg.fps,
            name=f"Simulated {self.model.name}",
            serial=f"SIM-{self.model.name}-{self.cfg.seed:04d}",
            record_to=self._record_to,
        )
        self._t0 = time.monotonic()
        self._state = SourceState.STREAMING

    def render_depth(self, t_s: float) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
        """Noisy z16 depth image at script time t_s and its ground truth row."""
        assert self._raycaster is not None, "start() first"
        sample = self.script.sample(t_s)
        faults = active(self.cfg.faults, t_s)
        if sample.pose is None:
            render = self._raycaster.render(None, None)
        else:
            verts, tris = self.body.mesh(sample.pose)
            other_m = second_person_offset_m(faults)
            if other_m is not None:  # a standing copy further along x, in the station too
                v2, t2 = self.body.mesh(Pose(heel_x_m=sample.heel_x_m))
                verts = np.vstack([verts, v2 + np.array([other_m, 0.0, 0.0])])
                tris = np.vstack([tris, t2 + len(v2)])
            render = self._raycaster.render(verts, tris)
        self._last_body = render.body
        depth = apply_noise(render, self.model, self._camera_intr.fx, 0.001, self.cfg.noise, self._rng)
        wall_x = None
        if sample.pose is not None and sample.wall_distance_in is not None:
            wall_x = sample.heel_x_m - sample.wall_distance_in * INCH_M
        row: dict[str, Any] = {
            "t_s": t_s,
            "phase": sample.phase,
            "rep_index": sample.rep_index,
            "drill": sample.drill,
            "wall_distance_in": sample.wall_distance_in,
            "body_pixels": int(render.body.sum()),
            "faults": [f.kind for f in faults],
        }
        if sample.pose is None:
            row["person"] = False
        else:
            row.update(frame_truth(self.body, sample.pose, wall_x).to_json())
            row["person"] = True
        return depth, row

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self._state is not SourceState.STREAMING or self._device is None:
            return None
        if self._index >= self.n_frames:
            self._state = SourceState.ENDED
            return None
        t_s = self._index / self.cfg.fps
        if self._realtime:
            delay = self._t0 + t_s - time.monotonic()
            if delay > timeout_s:
                return None
            if delay > 0:
                time.sleep(delay)
        depth, row = self.render_depth(t_s)
        faults = active(self.cfg.faults, t_s)
        clean = depth
        if faults:
            faulty = apply_depth_faults(depth, self._last_body, faults, self._last_good, self._rng)
            if faulty is None:  # dropped: nothing arrives for this frame
                self._index += 1
                return None
            depth = faulty
        else:
            self._last_good = clean
        sdk_frame = self._device.push(depth, t_s - time_offset_s(faults), self._index)
        self._index += 1
        if sdk_frame is None:
            return None
        self.truth.append(row)
        return depth_frame_from_rs(self._filters.process(sdk_frame), 0.001)

    def truth_document(self) -> dict[str, Any]:
        """Ground truth for a recording: setup, the camera's exact pose, per-frame truth, scripted reps."""
        return {
            "simulator": self.cfg.describe(),
            "body": self.body.describe(),
            "facing": self.cfg.placement.facing,
            "camera_pose": {
                "rotation": self.pose.rotation,
                "translation": self.pose.translation,
                "height_m": self.pose.height_m,
                "pitch_deg": self.pose.pitch_deg,
                "roll_deg": self.pose.roll_deg,
            },
            "intrinsics": asdict(self._camera_intr),
            "fps": self.cfg.fps,
            "per_frame": self.truth,
            "reps": [asdict(r) for r in self.script.reps],
        }

    def write_truth(self, path: Path) -> None:
        path.write_text(json.dumps(self.truth_document(), indent=1, default=_json_default))

    @property
    def intrinsics(self) -> Intrinsics:
        return self._camera_intr

    @property
    def online(self) -> bool:
        return self._state is SourceState.STREAMING

    @property
    def status(self) -> SourceStatus:
        msg = f"simulated athlete, script {self.cfg.script}, frame {self._index}/{self.n_frames}"
        return SourceStatus(
            state=self._state,
            message=msg,
            usb_type="3.2",
            device_name=f"Simulated {self.model.name}",
            serial=f"SIM-{self.cfg.seed:04d}",
        )

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
            self._device = None
        if self._state is SourceState.STREAMING:
            self._state = SourceState.STOPPED


def _body(cfg: SimConfig) -> SimBody:
    """The config's body; a bad spec or absent MPFB assets are a one-line SourceError
    (a parametric athlete out of range stays a ValueError, as it always was)."""
    from hardware.sim.mpfb.assets import AssetsMissingError

    if cfg.body == PARAMETRIC:
        return body_from_spec(cfg.body, cfg.height_m, cfg.build, shirt_ease_m=cfg.shirt_ease_m,
                              glute_softness=cfg.glute_softness)
    try:
        return body_from_spec(cfg.body, cfg.height_m, cfg.build)
    except (ValueError, AssetsMissingError) as err:
        raise SourceError(str(err)) from None


def truth_path_for(recording: Path) -> Path:
    """Where the ground truth of a simulated recording lives: beside it."""
    return recording.with_suffix(".truth.json")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
