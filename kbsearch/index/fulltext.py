"""The Whoosh full-text index: schema, writing a build, and searching it.

The only module that imports Whoosh. Callers get plain ``Candidate`` dataclasses, never
Whoosh objects, because hits are only readable while their searcher is open.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path

from whoosh import index, query
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.reading import MultiReader
from whoosh.searching import Searcher
from whoosh.system import pack_uint

from kbsearch.corpus import text
from kbsearch.corpus.articles import Article
from kbsearch.corpus.words import ArticleWords, Counts

# Titles say what an article solves, summaries and tags say it in other words, and the
# body says everything else: weight them in that order (BM25F field boosts).
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "tags": 2.0, "body": 1.0}


class StemTokenizer(Tokenizer):
    """``text.analyze_spans`` as Whoosh tokens, so Whoosh stems queries exactly as ``text`` does.

    The whole analyzer: stop words and one-letter words are already out, and positions count
    the words kept. Stateless, because the schema is pickled in every index (by class name).
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)  # one, reused: as Whoosh's
        if tokenize:
            spans = text.analyze_spans(value)
        else:  # a range query's ends: each is one word
            spans = [(text.stem(value.lower()), value.lower(), 0, len(value))] if value else []
        for pos, (stem, _, start, end) in enumerate(spans, start_pos):
            token.text, token.boost, token.stopped = stem, 1.0, False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class CountedText(TEXT):
    """A text field that is given the stem counts ``kbsearch.words`` made rather than the text.

    Whoosh would otherwise analyse every text a second time, the same way (``StemTokenizer``,
    which still parses queries). Counts carry no positions, so there are no phrase queries:
    nothing asks for them, and BM25F scores need only frequencies and lengths.
    """

    def __init__(self, **kwargs):
        super().__init__(phrase=False, analyzer=StemTokenizer(), **kwargs)

    def index(self, value, **kwargs):
        if isinstance(value, Counts):  # what Whoosh's Frequency format makes of the text
            boost = self.format.field_boost
            return [(term.encode("utf-8"), n, n * boost, pack_uint(n)) for term, n in value.items()]
        return super().index(value, **kwargs)


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=CountedText(stored=True, field_boost=FIELD_BOOSTS["title"]),
        summary=CountedText(stored=True, field_boost=FIELD_BOOSTS["summary"]),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True, field_boost=FIELD_BOOSTS["tags"]),
        body=CountedText(),  # plain text for snippets is in the build's texts.bin
        type=ID(stored=True),
        category=ID(stored=True),
        subcategory=ID(stored=True),
        updated=STORED(),
        markdown=STORED(),  # the cleaned Markdown, for the article page
    )


def _document(article: Article, words: ArticleWords) -> dict:
    return {
        "id": article.id,
        "title": words.title,
        "_stored_title": article.title,
        "summary": words.summary,
        "_stored_summary": article.summary,
        "tags": ",".join(article.tags),
        "body": words.body,
        "type": article.type,
        "category": article.category or "",
        "subcategory": article.subcategory or "",
        "updated": article.updated.isoformat() if article.updated else None,
        "markdown": article.body,
    }


class ShardWriter:
    """Adds articles one by one to a new index in ``directory``; ``commit`` makes it readable.

    Only ever used on a fresh build directory: rebuilding a live index in place would show
    readers an empty index until the commit (see STYLE.md).
    """

    def __init__(self, directory: Path):
        directory.mkdir(parents=True)
        self._writer = index.create_in(str(directory), make_schema()).writer(limitmb=1024)
        self.count = 0

    def add(self, article: Article, words: ArticleWords) -> None:
        self._writer.add_document(**_document(article, words))
        self.count += 1

    def commit(self) -> int:
        """Write the index out; return how many articles it holds."""
        self._writer.commit()
        return self.count


def write_index(articles: Iterable[tuple[Article, ArticleWords]], directory: Path) -> int:
    """Write ``articles`` (with their words) as a one-shard index here; return the count.

    A large full reindex writes several shards at once instead (``kbsearch.workers``).
    """
    writer = ShardWriter(directory / "0")
    for article, words in articles:
        writer.add(article, words)
    return writer.commit()


def patch_index(previous: Path, directory: Path, removed: Collection[str],
                added: list[tuple[Article, ArticleWords]], max_deleted: float = 0.2) -> bool:
    """Make ``directory`` the ``previous`` build's index less ``removed`` ids plus ``added`` articles.

    Whoosh never changes a file it wrote: a commit writes new segment and table-of-contents
    files and records deletions in the new table. So the previous files are hard-linked, not
    copied, and an incremental reindex costs the changed articles, not the knowledge base.
    Deleted documents stay in their segment until Whoosh merges it; once they would be over
    ``max_deleted`` of the index, return False without writing anything: rewrite it whole.
    """
    shards = _shards(previous)
    if not shards:
        return False
    total = deleted = 0
    for shard in shards:
        with index.open_dir(str(shard)).reader() as reader:
            total += reader.doc_count_all()
            deleted += reader.doc_count_all() - reader.doc_count()
    if deleted + len(removed) > max_deleted * total:
        return False
    for shard in shards:
        target = directory / shard.name
        target.mkdir(parents=True)
        for path in shard.iterdir():
            if path.is_file() and not path.name.endswith("LOCK"):
                os.link(path, target / path.name)
        with index.open_dir(str(target)).writer() as writer:  # commits when the block ends
            for article_id in removed:
                writer.delete_by_term("id", article_id)
            if shard == shards[-1]:
                for article, words in added:
                    writer.add_document(**_document(article, words))
    return True


class FullText:
    """A build's full-text index: one Whoosh index per shard, searched as one.

    Shards are written side by side by a reindex's worker processes, each from the chunks of
    files it was handed. Read together they are what Whoosh makes of one index with a
    segment per shard: the same statistics, documents numbered in another order.
    """

    def __init__(self, shards: list[index.Index]):
        self.shards = shards
        self.schema = shards[0].schema

    def searcher(self) -> Searcher:
        if len(self.shards) == 1:
            return self.shards[0].searcher()
        return Searcher(MultiReader([shard.reader() for shard in self.shards]))


def open_index(directory: Path) -> FullText:
    """Open a build's full-text index.

    :raise whoosh.index.EmptyIndexError: no index in ``directory`` (the caller reports it).
    """
    shards = _shards(directory)
    if not shards:
        raise index.EmptyIndexError(f"no full-text index in {directory}")
    return FullText([index.open_dir(str(shard)) for shard in shards])


def _shards(directory: Path) -> list[Path]:
    return sorted((p for p in Path(directory).glob("[0-9]*") if p.name.isdigit()), key=lambda p: int(p.name))


def get_document(ix: FullText, article_id: str) -> dict | None:
    """The stored fields of one article, or None when the build does not hold it."""
    with ix.searcher() as searcher:
        fields = searcher.document(id=article_id)
        return dict(fields) if fields else None


MAX_TERMS = 32  # a pasted essay still answers quickly: its first distinct words are enough
_WORD = re.compile(r"\w+")


def build_query(ix: FullText, text: str) -> query.Query | None:
    """An OR over the words of ``text`` in every field, rewarding documents that match more.

    Built from analysed words, not parsed: no input can be a syntax error, and operators or
    field names a customer types are just words.
    """
    analyzer = ix.schema["body"].analyzer
    stems = list(dict.fromkeys(t.text for t in analyzer(text)))[:MAX_TERMS]
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))[:MAX_TERMS]
    clauses = []
    for stem in stems:
        clauses.extend(query.Term(f, stem) for f in ("title", "summary", "body"))
    clauses.extend(query.Term("tags", w) for w in words)
    if not stems and not words:
        return None
    return query.Or(clauses, scale=0.9)


def rank(ix: FullText, text: str, limit: int = 10) -> list[tuple[str, float]]:
    """Whoosh's own BM25F ranking of ``text``: (id, score) pairs, best first.

    Not on the serving path (pages and suggestions rank on the model's matrices); kept as a
    peer for ``kbsearch evaluate --peers``. Whoosh's coordination bonus counts the words each
    segment holds, so scores move a little with how the index is split into shards and segments.
    """
    q = build_query(ix, text)
    if q is None:
        return []
    with ix.searcher() as searcher:
        return [(hit["id"], float(hit.score)) for hit in searcher.search(q, limit=limit)]
