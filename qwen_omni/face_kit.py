"""The face kit: one description of what a framework face hands the core and the long-media pipeline.

A face (LangChain's ``ChatQwenOmni``, LlamaIndex's ``QwenOmni``) keeps its settings as fields of its framework's
model class. What leaves those fields for the core goes through one :class:`FaceKit`, built the same way by both
faces from the same field names, so that a setting cannot reach one framework and not the other:

- :data:`CONNECTION_FIELDS`: what the :class:`~qwen_omni.client.OmniClient` is built from (key, endpoint, region,
  workspace, retries, timeout, headers);
- :data:`OPTION_FIELDS`: the options of every request (model, spoken answer, search, thinking, sampling, stop,
  seed, extra body fields), merged with the face's free-form body (``model_kwargs``, ``additional_kwargs``);
- ``structured_output_repairs``.

The loaders, readers and agent tools over the long-media pipeline take their own settings as one
:class:`MediaLoaderConfig`, and build the pipeline with :meth:`FaceKit.pipeline`: the chat model's connection and
every request option it holds (the pipeline answers in text, so it drops the spoken answer's options itself), one
rate budget and one bound on requests in flight. Each face sends the pipeline's requests through its framework
(``ask``): its callbacks see each as a chat-model run and its own rate limiter gates it, the media in the run's
messages told by :func:`describe_message`, never carried.

Example:
    >>> kit = FaceKit.of({"model": "qwen3.5-omni-flash", "enable_search": True, "api_key": None}, body={"x": 1})
    >>> kit.options.enable_search, dict(kit.options.extra_body or {})
    (True, {'x': 1})
    >>> config = MediaLoaderConfig(mode="summary", segment_seconds=60)
    >>> config.document_settings.choice, config.plan.segment_seconds
    ('recording', 60.0)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .adapter_support import build_options
from .client import DEFAULT_TIMEOUT, OmniClient
from .errors import InvalidRequestError
from .excerpt import shorten
from .longmedia import IMAGE_PROMPT, Ask, DocumentChoice, DocumentMode, DocumentSettings, LongMedia, PlanOptions, Slots
from .longmedia.runner import OnError
from .parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from .ratelimit import RateLimiter, RequestBudget
from .request import Message, RequestOptions
from .structured import DEFAULT_REPAIRS

__all__ = [
    "CONNECTION_FIELDS",
    "FACE_FIELDS",
    "OPTION_FIELDS",
    "FaceKit",
    "MediaLoaderConfig",
    "describe_message",
]

#: The fields both chat models have that make their client (``OmniClient``'s arguments of the same names).
CONNECTION_FIELDS = ("api_key", "base_url", "region", "workspace_id", "max_retries", "timeout", "default_headers")
#: The fields both chat models have that are options of every request (``RequestOptions``' names).
OPTION_FIELDS = (
    "model", "modalities", "voice", "audio_format", "enable_search", "search_options", "enable_thinking",
    "thinking_budget", "temperature", "top_p", "max_tokens", "seed", "stop", "extra_body",
)  # fmt: skip
#: Every field the kit reads from a face.
FACE_FIELDS = (*CONNECTION_FIELDS, *OPTION_FIELDS, "structured_output_repairs")


@dataclass(frozen=True)
class FaceKit:
    """What a face hands the core: how to connect, the options of every request, the structured-output repairs.

    Build it with :meth:`of` from the face's field values.
    """

    connection: Mapping[str, Any]
    options: RequestOptions
    structured_output_repairs: int = DEFAULT_REPAIRS

    @classmethod
    def of(cls, fields: Mapping[str, Any], *, body: Mapping[str, Any] | None = None) -> FaceKit:
        """The kit of a face whose fields hold ``fields`` (names of :data:`FACE_FIELDS`; a missing one is unset),
        with ``body`` its free-form request fields (an option's name there sets that option).

        Raises:
            TypeError: a name that is not one of :data:`FACE_FIELDS` (a face's own setting that the kit would drop).
        """
        unknown = sorted(set(fields) - set(FACE_FIELDS))
        if unknown:
            raise TypeError(f"FaceKit.of: {', '.join(unknown)} are not face kit fields.")
        connection = {name: fields.get(name) for name in CONNECTION_FIELDS}
        if connection["max_retries"] is None:
            connection["max_retries"] = 2
        if connection["timeout"] is None:
            connection["timeout"] = DEFAULT_TIMEOUT
        values = {name: fields.get(name) for name in OPTION_FIELDS}
        values["stop"] = values["stop"] or None  # an empty list of stop sequences is none
        options = build_options(values, body=body)
        repairs = fields.get("structured_output_repairs")
        return cls(connection, options, DEFAULT_REPAIRS if repairs is None else int(repairs))

    def client(self, *, rate_limiter: RequestBudget | None = None) -> OmniClient:
        """A client with this kit's connection (and, given one, a rate budget every request waits for)."""
        return OmniClient(**self.connection, rate_limiter=rate_limiter)

    def pipeline(self, config: MediaLoaderConfig, *, ask: Callable[[OmniClient], Ask] | None = None) -> LongMedia:
        """The long-media pipeline of a loader, reader or tool: this kit's connection and options, ``config``'s
        settings, one rate budget (``config.rate_limiter``, else the documented quota for this pipeline alone).

        ``ask``: how the face sends each request with the pipeline's client (LlamaIndex: as a chat event).
        """
        client = self.client(rate_limiter=config.rate_limiter if config.rate_limiter is not None else RateLimiter())
        return LongMedia(
            client,
            model=self.options.model,
            reduce_model=config.reduce_model,
            options=config.plan,
            concurrency=config.max_concurrency,
            retries=config.retries,
            on_error=config.on_error,
            cache=os.fspath(config.cache_dir) if config.cache_dir is not None else None,
            progress=config.show_progress,
            request_options=self.options,
            ask=ask(client) if ask is not None else None,
        )


@dataclass(frozen=True)
class MediaLoaderConfig:
    """The settings of a loader, reader or agent tool over the long-media pipeline, as one object.

    Attributes:
        mode: ``"auto"`` (a transcript of audio, a description of video), ``"transcript"``, ``"subtitles"``,
            ``"description"``, ``"summary"`` (map-reduce over the segments) or ``"custom"`` (``prompt`` asked of
            each segment, told where it lies). Images are always asked ``image_prompt``.
        prompt: the question of ``"custom"`` mode.
        image_prompt: what an image is asked.
        documents: ``"segments"``, ``"recording"`` (one document for the whole recording) or ``"both"``; by
            default the whole recording in ``"summary"`` mode, else one per segment.
        subtitle_format: ``"srt"`` or ``"vtt"``, the whole-recording document's format in ``"subtitles"`` mode.
        segment_seconds: cut segments of at most this many seconds (always within the model's limits).
        plan_options: how to cut and encode (:class:`~qwen_omni.longmedia.PlanOptions`); ``segment_seconds``
            overrides its own.
        max_concurrency: requests in flight at once over every call, or a shared ``Slots``.
        rate_limiter: the request and token budget every request waits for (default: the documented quota, for
            this pipeline alone); share one between loaders, tools and processes.
        on_error: ``"raise"`` (a ``LoadFailedError`` once the recordings in flight are done) or ``"skip"``.
        retries: tries again per segment after a connection error, a 5xx or a broken stream.
        cache_dir: keep each segment's answer in this folder, so that a rerun sends only what is missing.
        show_progress: a tqdm bar per recording on stderr (or tqdm's options as a dict).
        reduce_model: the model that writes a summary from the segments (default: the chat model's).
        timestamps: in ``"custom"`` mode, tell each segment how to count times and place every time of its answer
            in the whole recording (False: for prompts whose answers hold no times).
    """

    mode: DocumentMode = "auto"
    prompt: str | None = None
    image_prompt: str = IMAGE_PROMPT
    documents: DocumentChoice | None = None
    subtitle_format: Literal["srt", "vtt"] = "srt"
    segment_seconds: float | None = None
    plan_options: PlanOptions | None = None
    max_concurrency: int | Slots = 4
    rate_limiter: RequestBudget | None = field(default=None, compare=False)
    on_error: OnError = "raise"
    retries: int = 2
    cache_dir: str | os.PathLike[str] | None = None
    show_progress: bool | dict[str, Any] = False
    reduce_model: str | None = None
    timestamps: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.max_concurrency, bool) or (
            isinstance(self.max_concurrency, int) and self.max_concurrency < 1
        ):
            raise InvalidRequestError(f"max_concurrency must be at least 1; got {self.max_concurrency}.")
        if self.on_error not in ("raise", "skip"):
            raise InvalidRequestError(f'on_error must be "raise" or "skip"; got {self.on_error!r}.')
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise InvalidRequestError(f"retries must be a whole number, 0 or more; got {self.retries!r}.")
        if self.segment_seconds is not None and not self.segment_seconds > 0:
            raise InvalidRequestError(f"segment_seconds must be more than 0; got {self.segment_seconds!r}.")
        self.document_settings  # noqa: B018 - a bad mode, prompt or documents choice fails here, at construction

    @property
    def document_settings(self) -> DocumentSettings:
        """What each recording is asked and which documents are made."""
        return DocumentSettings(
            self.mode, self.prompt, self.image_prompt, self.documents, self.subtitle_format, self.timestamps
        )

    @property
    def plan(self) -> PlanOptions:
        """How recordings are cut and encoded (``segment_seconds`` applied)."""
        options = self.plan_options or PlanOptions()
        if self.segment_seconds is not None:
            options = dataclasses.replace(options, segment_seconds=float(self.segment_seconds))
        return options

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings' names, in order (what a face's constructor takes as its own keywords)."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def of_keywords(
        cls,
        config: MediaLoaderConfig | None,
        settings: Mapping[str, Any],
        *,
        owner: str,
        llm_given: bool,
        llm_fields: Collection[str],
        llm_class: str,
    ) -> tuple[MediaLoaderConfig, dict[str, Any]]:
        """A loader's config and its chat model's options from its keywords (a face's constructor).

        ``settings`` holds this config's names and, when no chat model is given (``llm_given``), the options of
        the one to build (names in ``llm_fields``).

        Raises:
            InvalidRequestError: a config and its settings both, a chat model and its options both, or a name
                that is neither the loader's nor the chat model's (a typo would otherwise be dropped).

        Example:
            >>> config, options = MediaLoaderConfig.of_keywords(None, {"mode": "summary", "model": "m"},
            ...     owner="Loader", llm_given=False, llm_fields={"model"}, llm_class="Chat")
            >>> config.mode, options
            ('summary', {'model': 'm'})
        """
        names = set(cls.names())
        own = {k: v for k, v in settings.items() if k in names}
        options = {k: v for k, v in settings.items() if k not in names}
        if config is not None and own:
            raise InvalidRequestError(
                f"Pass either config=MediaLoaderConfig(...) or its settings ({', '.join(sorted(own))}), not both."
            )
        if llm_given and options:
            raise InvalidRequestError(
                f"Pass either llm or {llm_class} options ({', '.join(sorted(options))}), not both."
            )
        unknown = sorted(set(options) - set(llm_fields))
        if unknown:
            raise InvalidRequestError(
                f"{owner} got unknown settings {', '.join(unknown)}. It takes MediaLoaderConfig's "
                f"({', '.join(cls.names())}) and, without llm=, {llm_class}'s options (model, api_key, base_url, "
                "enable_search...)."
            )
        return config or cls(**own), options

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-safe data (for a serialized reader). A rate budget is a live object and is left out
        (a config made again gets the documented quota); shared ``Slots`` become their limit.

        Example:
            >>> MediaLoaderConfig.from_dict(MediaLoaderConfig(mode="summary").to_dict()) == MediaLoaderConfig("summary")
            True
        """
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "rate_limiter":
                continue
            if isinstance(value, Slots):
                value = value.limit
            elif isinstance(value, PlanOptions):
                value = dataclasses.asdict(value)
            elif isinstance(value, os.PathLike):
                value = os.fspath(value)
            data[f.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MediaLoaderConfig:
        """The config of :meth:`to_dict`'s data."""
        values = dict(data)
        if isinstance(values.get("plan_options"), Mapping):
            values["plan_options"] = PlanOptions(**values["plan_options"])
        return cls(**values)


def describe_message(message: Message) -> str:
    """A message's text, with each media part told by its kind and size or URL, never its bytes (what a framework's
    callbacks are shown of a request the pipeline sends).

    Example:
        >>> describe_message(Message("user", [AudioPart(b"ID3" + bytes(997), format="mp3"), TextPart("Hi")]))
        '[audio: mp3, 1,000 bytes]\\nHi'
    """
    content = message.content
    if content is None or isinstance(content, str):
        return content or ""
    shown = []
    for part in content:
        if isinstance(part, TextPart):
            shown.append(part.text)
        elif isinstance(part, VideoFramesPart):
            shown.append(f"[video: {len(part.frames)} frames]")
        elif isinstance(part, AudioPart | VideoPart | ImagePart):
            kind = "audio" if isinstance(part, AudioPart) else "video" if isinstance(part, VideoPart) else "image"
            source = part.source
            if isinstance(source, bytes | bytearray | memoryview):
                detail = f"{len(source):,} bytes"
                if isinstance(part, AudioPart) and part.format:
                    detail = f"{part.format}, {detail}"
            else:
                detail = shorten(str(source), 120)
            shown.append(f"[{kind}: {detail}]")
        else:
            shown.append(f"[{type(part).__name__}]")
    return "\n".join(shown)
