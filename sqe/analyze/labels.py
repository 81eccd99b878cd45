"""Label placement for region overlays: labels of close regions go to separate lanes (rows) so none covers
another, in the PNG figures and in the HTML report alike."""
from __future__ import annotations


def label_lanes(extents: list[tuple[float, float]], gap: float = 0.0) -> list[int]:
    """The lane of each label, given its horizontal extent ``(left, right)`` in any unit: labels are taken from
    left to right and each goes to the lowest lane whose last label ends at least ``gap`` before it starts. The
    number of lanes is the largest number of labels that overlap at one point (greedy interval colouring).

    >>> label_lanes([(0, 4), (1, 3), (5, 6), (2, 8)])
    [0, 1, 0, 2]
    """
    lanes: list[int] = [0] * len(extents)
    ends: list[float] = []  # right edge of the last label in each lane
    for i in sorted(range(len(extents)), key=lambda k: (extents[k][0], k)):
        left, right = extents[i]
        for lane, end in enumerate(ends):
            if end + gap <= left:
                break
        else:
            lane = len(ends)
            ends.append(right)
        ends[lane] = right
        lanes[i] = lane
    return lanes
