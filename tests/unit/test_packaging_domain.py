"""Packaging rules without I/O: base model naming, config rewrite, requirements, GPU needs,
validation headlines, signed links with an injected clock, byte ranges."""

from __future__ import annotations

import uuid

import pytest

from proto.api import ServiceError
from services.gateway.downloads import LINK_TTL_S, DownloadLinks, Grant, byte_range
from services.packaging import domain, instructions
from trainer.model import EMBEDDED_HUB_IDS


def test_embedded_model_is_named_by_its_hub_id_and_the_config_is_rewritten():
    base = domain.base_model("embedded:smollm2-135m-instruct", EMBEDDED_HUB_IDS)
    assert base.name_or_path == "HuggingFaceTB/SmolLM2-135M-Instruct" and base.on_hub
    config = domain.adapter_config({"base_model_name_or_path": "/root/.cache/brightrun/x", "r": 16},
                                   base)
    assert config == {"base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct", "r": 16}


@pytest.mark.parametrize("ref", ["tiny-random-llama", "random:llama-3.2-1b", "/models/mine"])
def test_models_on_no_hub_say_so(ref):
    base = domain.base_model(ref, EMBEDDED_HUB_IDS)
    assert not base.on_hub and "BRIGHTRUN_BASE_MODEL_PATH" in base.note


def test_requirements_pin_exact_versions_without_local_build_tags():
    text = domain.requirements({"torch": "2.13.0+cpu", "transformers": "5.25.0", "peft": "0.21.2",
                                "accelerate": "1.16.0", "safetensors": "0.8.0", "numpy": "2"})
    assert text.split() == ["torch==2.13.0", "transformers==5.25.0", "peft==0.21.2",
                            "accelerate==1.16.0", "safetensors==0.8.0"]


def test_gpu_needs_shrink_at_4_bit_and_grow_with_the_model():
    small = instructions.gpu_needs(135_000_000, 16, ["q_proj", "v_proj"], 2048)
    big = instructions.gpu_needs(8_030_000_000, 16, ["q_proj", "v_proj"], 2048)
    assert small.bytes_4bit < small.bytes_16bit < big.bytes_16bit
    assert 16e9 < big.bytes_16bit < 20e9  # 8 B parameters at 2 bytes, plus cache and runtime
    assert "T4" in big.recommended_4bit[0] and "T4" not in big.recommended_16bit[0]


def test_validation_headlines_are_found_and_absent_validation_says_so():
    assert domain.validation_summary(None).headline == "validation not run"
    answer = {"run": 2, "suites": [
        {"suite": "perplexity", "status": "completed", "headline": "31% lower perplexity",
         "badge": "Strong", "detail_key": "k"},
        {"suite": "knowledge_retention", "status": "completed", "headline": "98% retained"}]}
    summary = domain.validation_summary(answer)
    assert summary.status == "completed"
    assert summary.headline == "31% lower perplexity; 98% retained"


def test_example_prompts_read_both_scenario_shapes_and_stop_at_ten():
    pairs = [{"id": f"p{i}", "current_user_input": f"q{i}", "system_prompt": "s",
              "history": [], "target_response": "a"} for i in range(12)]
    prompts = domain.example_prompts(pairs)
    assert len(prompts) == 10 and prompts[0]["prompt"] == "q0"
    ei = [{"scenario_id": "x", "user_input": "hello", "history": [{"role": "user", "content": "hi"}],
           "reference": "r"}]
    assert domain.example_prompts(ei)[0]["history"] == [{"role": "user", "content": "hi"}]


def test_signed_link_expires_after_24_hours_on_the_injected_clock():
    now = [1_000_000.0]
    links = DownloadLinks("secret", clock=lambda: now[0])
    grant = Grant(job_id=uuid.uuid4(), kind="adapter-bundle", key="artifacts/x.zip", filename="x.zip")
    token, expires_at = links.issue(grant)
    assert expires_at.timestamp() == now[0] + LINK_TTL_S
    now[0] += LINK_TTL_S - 1
    assert links.open(token) == grant
    now[0] += 2
    with pytest.raises(ServiceError) as expired:
        links.open(token)
    assert expired.value.error.status == 410 and expired.value.error.how_to_fix


def test_tampered_or_foreign_link_is_forbidden():
    links = DownloadLinks("secret")
    token, _ = links.issue(Grant(job_id=uuid.uuid4(), kind="adapter-bundle", key="k", filename="f"))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                DownloadLinks("other secret").issue(
                    Grant(job_id=uuid.uuid4(), kind="adapter-bundle", key="k", filename="f"))[0]):
        with pytest.raises(ServiceError) as forbidden:
            links.open(bad)
        assert forbidden.value.error.status == 403 and forbidden.value.error.how_to_fix


def test_byte_ranges():
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=95-200", 100) == (95, 99)
    assert byte_range("bytes=0-1,5-6", 100) is None  # several ranges: the whole file
    with pytest.raises(ServiceError) as unsatisfiable:
        byte_range("bytes=100-", 100)
    assert unsatisfiable.value.error.status == 416
