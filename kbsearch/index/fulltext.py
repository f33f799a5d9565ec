"""The Whoosh full-text index: schema, writing a build, and matching the search page's queries.

The only module that imports Whoosh (but for ``evaluation.peers``, which ranks with it), so it
is longer than the others. Callers get plain data (``Found``: a mask of documents and the words
searched), never Whoosh objects, which are only readable while their searcher is open.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from functools import reduce
from itertools import islice
from pathlib import Path

import numpy as np
from whoosh import index, qparser, query
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.reading import MultiReader
from whoosh.searching import Searcher
from whoosh.system import pack_uint

from kbsearch.corpus import text
from kbsearch.corpus.articles import Article
from kbsearch.corpus.synonyms import Synonyms
from kbsearch.corpus.words import ArticleWords
from kbsearch.index import documents
from kbsearch.index.documents import MAX_EXPANSIONS, TITLE_BOOST, Found


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
            if mode == "query" and "-" in value:  # an error code is searched as one unit
                spans = text.with_units(value, spans)
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
    """A text field given the positions ``text.positions`` found rather than the text: Whoosh
    would otherwise analyse every text a second time, the same way (``StemTokenizer``, which still
    parses queries). Positions serve phrases; an error code is one more term at its first word's."""

    def __init__(self, **kwargs):
        super().__init__(phrase=True, analyzer=StemTokenizer(), **kwargs)

    def index(self, value, **kwargs):
        if isinstance(value, dict):  # what Whoosh's Positions format makes of the text
            boost = self.format.field_boost
            return [(term.encode("utf-8"), len(p), len(p) * boost, encoded(p)) for term, p in value.items()]
        return super().index(value, **kwargs)


_ONE = pack_uint(1)
_SINGLE: dict[int, bytes] = {}  # a word's one position, encoded: at most 65,536 of them


def encoded(positions: list[int]) -> bytes:
    """Whoosh's ``Positions.encode``, the same bytes, without its loop per position (most words
    occur once in an article): the count, then the pickled gaps between positions."""
    if len(positions) == 1:
        value = _SINGLE.get(positions[0])
        if value is None:
            value = _ONE + pickle.dumps(positions, 2)
            if positions[0] < 1 << 16:
                _SINGLE[positions[0]] = value
        return value
    return pack_uint(len(positions)) + pickle.dumps([positions[0]] + [b - a for a, b in zip(positions, positions[1:])], 2)


def codec() -> W3Codec:
    """Whoosh's codec with posting blocks left uncompressed (written and read without zlib) and
    the lists of terms in few articles kept in the term table (no block to write or read)."""
    return W3Codec(compression=COMPRESSION, inlinelimit=INLINE)


COMPRESSION, INLINE = 0, 1
# At 50,000 articles a term's bits are 6.5 kB: the cache holds at most 27 MB a worker.
CACHED_DF, CACHED_TERMS = 256, 4096


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=CountedText(stored=True, field_boost=TITLE_BOOST),
        text=CountedText(),  # title, summary, tags and body (plain text for snippets is in texts.bin)
        summary=STORED(),
        type=ID(stored=True),
        category=ID(stored=True),
        subcategory=ID(stored=True),
        updated=STORED(),
    )


class ShardWriter:
    """Adds articles one by one to a new index in ``directory``; ``commit`` makes it readable.

    Only ever used on a fresh build directory: rebuilding a live index in place would show
    readers an empty index until the commit (see STYLE.md).
    """

    def __init__(self, directory: Path):
        directory.mkdir(parents=True)
        self._writer = index.create_in(str(directory), make_schema()).writer(limitmb=1024, codec=codec())
        self.count = 0

    def add(self, article: Article, words: ArticleWords) -> None:
        self._writer.add_document(**documents.document(article))
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
    shards = documents.shards(previous)
    if not shards or "text" not in index.open_dir(str(shards[0])).schema:
        return False  # none, or written before the ``text`` field: write it whole
    total = deleted = 0
    for shard in shards:
        with index.open_dir(str(shard)).reader() as reader:
            total += reader.doc_count_all()
            deleted += reader.doc_count_all() - reader.doc_count()
    if deleted + len(removed) > max_deleted * total:
        return False
    for shard in shards:
        target = directory / shard.name
        documents.link_shard(shard, target)
        with index.open_dir(str(target)).writer() as writer:  # commits when the block ends
            for article_id in removed:
                writer.delete_by_term("id", article_id)
            if shard == shards[-1]:
                for article, words in added:
                    writer.add_document(**documents.document(article))
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
        self.parsers: dict[bool, qparser.QueryParser] = {}  # made on first use, then shared
        self.matching: Searcher | None = None  # one for ``find``: a build never changes, opening one took 3 ms
        self.lock = threading.Lock()  # its files are read by seek and read: one query at a time
        self.common: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # see ``_term_docs``

    def searcher(self) -> Searcher:
        if len(self.shards) == 1:
            return self.shards[0].searcher()
        return Searcher(MultiReader([shard.reader() for shard in self.shards]))


def open_index(directory: Path) -> FullText:
    """Open a build's full-text index.

    :raise whoosh.index.EmptyIndexError: no index in ``directory`` (the caller reports it).
    """
    shards = documents.shards(directory)
    if not shards:
        raise index.EmptyIndexError(f"no full-text index in {directory}")
    return FullText([index.open_dir(str(shard)) for shard in shards])


def get_document(ix: FullText, article_id: str) -> dict | None:
    """The stored fields of one article, or None when the build does not hold it."""
    with ix.searcher() as searcher:
        return dict(searcher.document(id=article_id) or {}) or None


# --- the search page's query language (``kbsearch.index.matching`` decides what to ask) ---
_LEFT_OUT = (qparser.RangePlugin, qparser.BoostPlugin, qparser.EveryPlugin, qparser.GroupPlugin,
             qparser.OperatorsPlugin, qparser.SingleQuotePlugin)  # no ranges, boosts, groups nor AND/OR/NOT
Postings = dict[tuple[str, str], np.ndarray]  # one query's term lists, read once for AND and OR


def find(ix: FullText, q: str, any_word: bool, synonyms: Synonyms, postings: Postings) -> Found:
    """The documents matching ``q``: all its words (or any), "phrases", ``field:word``, ``-word``,
    ``+word`` and ``prefix*`` (its first ``MAX_EXPANSIONS`` words); a word or words of a synonym
    term also match its synonyms (a term of several words as a phrase). ``postings`` keeps the
    term lists read, for the next call on the same query.

    :raise Exception: whatever Whoosh's parser or matchers raise (the caller searches plain words then)."""
    with ix.lock:
        searcher = ix.matching = ix.matching or ix.searcher()
        reader = searcher.reader()

        def expand(node: query.Query) -> query.Query:
            if isinstance(node, query.Prefix):
                words = islice(reader.expand_prefix(node.fieldname, node.text), MAX_EXPANSIONS)
                return query.Or([query.Term(node.fieldname, documents.as_str(word)) for word in words])
            if isinstance(node, query.Phrase) and any("-" in word for word in node.words):
                # a code inside a phrase is its words, which the index keeps in a row after it
                words = [part for word in node.words for part in (text.analyze(word) if "-" in word else [word])]
                return query.Phrase(node.fieldname, words, slop=node.slop, boost=node.boost)
            return query.NullQuery if isinstance(node, query.Wildcard) else node
        parsed = _parser(ix, any_word).parse(q).accept(expand).normalize()
        searched = [(f, documents.as_str(t)) for f, t in parsed.iter_all_terms(phrases=True)]
        docs = _docs(_with_synonyms(parsed, q, synonyms), ix, postings)
        return Found(docs, searched)


def _parser(ix: FullText, any_word: bool) -> qparser.QueryParser:
    parser = ix.parsers.get(any_word)
    if parser is None:
        parser = qparser.QueryParser("text", ix.schema, group=qparser.OrGroup if any_word else qparser.AndGroup)
        for plugin in _LEFT_OUT:
            parser.remove_plugin_class(plugin)
        parser.add_plugin(qparser.PlusMinusPlugin(r"(?:^|(?<=\s))\+", r"(?:^|(?<=\s))-"))  # not "SH-PWD-211"
        ix.parsers[any_word] = parser
    return parser


def _with_synonyms(node: query.Query, q: str, synonyms: Synonyms) -> query.Query:
    """``node`` with the words of each synonym term of ``q`` (outside quotes and fields) matching
    either those words or one of the term's synonyms: "2fa" finds "two-step verification"."""
    if not synonyms:
        return node
    if isinstance(node, query.AndNot):  # "2fa -sso": the words wanted, less the words not
        return query.AndNot(_with_synonyms(node.a, q, synonyms), node.b)
    group = node if isinstance(node, (query.And, query.Or)) else None
    children = list(group.subqueries) if group is not None else [node]
    plain = [i for i, child in enumerate(children) if isinstance(child, query.Term) and child.fieldname == "text"]
    for own, alternatives in synonyms.occurrences(q):
        taken: list[int] = []
        for stem in own:  # each a word of the query, or inside one of its codes ("2-step verification")
            at = next((i for i in plain if i not in taken and children[i].text == stem), None)
            if at is None:
                at = next((i for i in plain if "-" in children[i].text and stem in text.analyze(children[i].text)
                           and set(text.analyze(children[i].text)) <= set(own)), None)  # the term covers the code
            if at is None:
                taken = []
                break
            if at not in taken:
                taken.append(at)
        if not taken:  # not all its words are plain words of the query ("-word", a phrase)
            continue
        either = [query.And([children[i] for i in taken]) if len(taken) > 1 else children[taken[0]]]
        either += [query.Phrase("text", list(stems)) if len(stems) > 1 else query.Term("text", stems[0])
                   for stems in alternatives]
        children[taken[0]] = query.Or(either)
        for i in taken[1:]:
            children[i] = query.NullQuery
        plain = [i for i in plain if i not in taken]
    if group is None:
        return children[0]
    return type(group)([child for child in children if child is not query.NullQuery]).normalize()


def _docs(node: query.Query, ix: FullText, postings: Postings) -> np.ndarray:
    """The documents ``node`` matches, as a mask over document numbers (deleted ones included:
    ``documents_by_id`` leaves them out). A term's ids are read a block at a time; a phrase is
    tried only where its words all are, then by Whoosh's phrase matcher."""
    searcher = ix.matching
    reader = searcher.reader()
    if isinstance(node, query.Term):
        key = (node.fieldname, documents.as_str(node.text))
        if key not in postings:
            postings[key] = _term_docs(ix, reader, key)
        return postings[key]
    if isinstance(node, query.And) and node.subqueries:  # the rarest first: an empty one ends it
        found = None
        for child in sorted(node.subqueries, key=lambda c: _cost(c, reader)):
            docs = _docs(child, ix, postings)
            found = docs if found is None else found & docs
            if not found.any():
                break
        return found
    if isinstance(node, query.Or) and node.subqueries:
        return reduce(np.logical_or, (_docs(child, ix, postings) for child in node.subqueries))
    if isinstance(node, query.AndNot):
        return _docs(node.a, ix, postings) & ~_docs(node.b, ix, postings)
    found = np.zeros(reader.doc_count_all(), dtype=bool)
    if isinstance(node, query.Phrase):
        if not _docs(query.And([query.Term("text", word) for word in node.words]), ix, postings).any():
            return found
    if node is not query.NullQuery:
        found[np.fromiter(searcher.docs_for_query(node), dtype=np.int64)] = True
    return found


def _term_docs(ix: FullText, reader, key: tuple[str, str]) -> np.ndarray:
    """The mask of the documents holding one term. A term in ``CACHED_DF`` documents or more is
    kept, as bits, in the build's ``common`` (the ``CACHED_TERMS`` used last): reading a common
    word's positions is most of a query's time, and a build never changes."""
    kept = ix.common.get(key)
    if kept is not None:
        ix.common.move_to_end(key)
        return np.unpackbits(kept, count=reader.doc_count_all()).view(bool)
    docs = np.zeros(reader.doc_count_all(), dtype=bool)
    ids = _postings(reader, *key)
    docs[ids] = True
    if len(ids) >= CACHED_DF:
        ix.common[key] = np.packbits(docs)
        if len(ix.common) > CACHED_TERMS:
            ix.common.popitem(last=False)
    return docs


def _cost(node: query.Query, reader) -> int:
    if isinstance(node, query.Term):
        return reader.doc_frequency(node.fieldname, node.text)
    return 1 << 40  # groups and phrases after the terms that may rule everything out


def _postings(reader, fieldname: str, word: str) -> np.ndarray:
    """The documents holding ``word`` in ``fieldname``, deleted ones included, sorted.

    Whoosh's own ``all_ids`` yields one id at a time in Python (tens of ms for a common word
    at 50,000 articles); a W3 posting block is a pickled tuple of delta-coded ids, decoded here
    with numpy. Other matchers (a term stored inline with its one document) go the slow way."""
    parts = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, word) not in leaf:
            continue
        matcher = leaf.postings(fieldname, word)
        matcher = getattr(matcher, "child", matcher)  # under a deletion filter: the ids it filters
        parts.append(_all_ids(matcher) + offset)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _all_ids(matcher) -> np.ndarray:
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        return np.fromiter(matcher.all_ids(), dtype=np.int64)
    blocks = []
    while True:
        if matcher._data is None:
            matcher._read_data()
        blocks.append(np.cumsum(np.asarray(matcher._data[0], dtype=np.int64)))
        if matcher._lastblock:
            return np.concatenate(blocks)
        matcher._goto(matcher._nextoffset)
