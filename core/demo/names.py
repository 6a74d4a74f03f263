"""Deterministic demo names and phone numbers (never a real mobile number: prefix 100)."""

from __future__ import annotations

import random

SURNAMES = {
    "han": "李王张杨赵刘陈周吴黄徐孙马朱胡郭何罗高林",
    "yi": "字罗李杨茶左鲁普毕自起阿",
    "bai": "杨赵段李张尹董何苏施",
    "hui": "马纳沙丁白",
}
GIVEN = [
    "建华",
    "秀英",
    "国强",
    "桂兰",
    "志明",
    "丽华",
    "文杰",
    "海燕",
    "春梅",
    "永福",
    "玉珍",
    "正平",
    "德光",
    "金花",
    "晓东",
    "红梅",
    "子豪",
    "雨涵",
    "梓轩",
    "欣怡",
    "浩然",
    "诗琪",
    "俊杰",
    "思彤",
    "家乐",
    "佳怡",
    "云峰",
    "明霞",
    "绍荣",
    "会芬",
    "发科",
    "秀珍",
    "树林",
    "凤英",
    "自强",
    "兰芝",
    "学文",
    "艳芳",
    "光辉",
    "翠花",
    "顺昌",
    "雪梅",
]


def person_name(rng: random.Random, people: str) -> str:
    return rng.choice(SURNAMES[people]) + rng.choice(GIVEN)


def phone(rng: random.Random) -> str:
    """A demo number: 100 is not a Chinese mobile prefix, so it reaches nobody."""
    return f"100{rng.randrange(10**8):08d}"
