/*
 * test-watchlists.c: the shipped watchlists (watchlists/NAME.watch) against
 * a table of headlines and bodies, each with the (watchlist, alert) it
 * must or must not fire: Russian case forms, Chinese in both scripts,
 * transliterations, abbreviations and false friends.  Reads the shipped
 * files; no other I/O.  Every case also runs with the interpreter only
 * (REEWATCH_NO_JIT=1) and the naive matcher, which must agree.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tap.h"

static const char *const shipped[] = {
	"ree-core", "ree-russia", "ree-prc", "ree-global",
	"ree-central-asia", "ree-iea",
};

static const struct {
	const char *watchlist, *alert, *title, *body;
	int hit;
} cases[] = {
	{ "ree-core", "Rare earths mentioned",
	    "Rare earth prices rise", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "RARE EARTHS: a primer", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Rare-earth magnets in demand", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Rare earthenware exhibition opens", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "A rare earthquake hit the region", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Rare​earth with a zero-width space", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Rare earth with a no-break space", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Rare­earth with a soft hyphen is one word", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Ｒａｒｅ ｅａｒｔｈ in full width", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Lanthanides explained", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "REE supply chain", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "REEs and magnets", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Ree Drummond cooks dinner", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "free trade talks", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "REM sleep study", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "REM mining in Africa", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Добыча РЗМ растет", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Экспорт РЗЭ из Китая", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "рзм в нижнем регистре", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Редкоземельные металлы", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "редкоземельных металлов", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "РЕДКОЗЕМЕЛЬНЫМИ металлами", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Рынок редких земель", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Спрос на редкие земли", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "Прошлогодние редкие находки на земле", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Лантаноиды и актиноиды", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "稀土出口管制", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "稀有金属", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "No match here", "Rare earths are in the body.", 1 },
	{ "ree-core", "Rare-earth element named",
	    "Neodymium price", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Неодим дорожает", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "поставки неодима", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "钕价格上涨", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "釹價格上漲", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "镝出口", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "鏑出口", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Dysprosium shortage", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Экспорт диспрозия", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Terbium and dysprosium", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Цены на тербий", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Europium phosphors", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Europe and the economy", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Европа и экономика", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "производство европия", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Lanthorn Studios", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Lanthanum oxide", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Лантан и церий", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Церий в катализаторах", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Церковь на холме", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Erbil airport reopens", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Эрбиль: новости", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Эрбий для лазеров", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Тула и Тульская область", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Тулий и иттербий", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Новый сканер в аэропорту", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Скандий в сплавах", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Scandium alloys", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Scandinavia news", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Прометей прикованный", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Промышленность Самарии", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Самарий-кобальтовые магниты", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Yttrium mines", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Иттрий и скандий", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Holmium lasers", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Gadolinium contrast agents", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Гадолиний в МРТ", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Praseodymium prices", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Празеодим", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "NdPr oxide prices", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "ndpr in lower case", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Nd2O3 exports", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Y2O3 coatings", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Prices of La2O3, Sc2O3 and Yb2O3", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Eu2O3", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "XLa2O3, La2O3x, LA2O3, Fe2O3", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "y2o3 and XY2O3 and Nd2O3x", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Nd is the symbol", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Dy and Tb", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "Lutetium in PET scanners", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "鎦金佛像", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "鎦元素", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Ytterbium clocks", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Thulium lasers", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Promethium batteries", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Samarium cobalt", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Cerium oxide", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Terbium", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Erbium amplifiers", NULL, 1 },
	{ "ree-core", "Magnet metals in a headline",
	    "Neodymium prices soar", NULL, 1 },
	{ "ree-core", "Magnet metals in a headline",
	    "Market update", "Neodymium prices soar.", 0 },
	{ "ree-core", "Magnet metals in a headline",
	    "Цены на диспрозий", NULL, 1 },
	{ "ree-core", "Magnet metals in a headline",
	    "Lanthanum prices", NULL, 0 },
	{ "ree-core", "NdFeB magnets",
	    "NdFeB magnet output", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "Nd-Fe-B magnets", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "Неодимовые магниты", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "钕铁硼永磁", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "釹鐵硼磁鐵", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "SmCo5 magnets", NULL, 1 },
	{ "ree-core", "NdFeB magnets",
	    "Magnets for fridges", NULL, 0 },
	{ "ree-core", "Rare-earth permanent magnets",
	    "Rare-earth permanent magnets plant", NULL, 1 },
	{ "ree-core", "Rare-earth permanent magnets",
	    "Permanent magnets for motors", NULL, 0 },
	{ "ree-core", "Rare-earth permanent magnets",
	    "Постоянные магниты из неодима", NULL, 1 },
	{ "ree-core", "Rare-earth permanent magnets",
	    "稀土永磁体产量", NULL, 1 },
	{ "ree-core", "Critical minerals and rare earths",
	    "Critical minerals and rare earths", NULL, 1 },
	{ "ree-core", "Critical minerals and rare earths",
	    "Critical minerals strategy", NULL, 0 },
	{ "ree-core", "Critical minerals",
	    "Critical minerals strategy", NULL, 1 },
	{ "ree-core", "Critical minerals",
	    "Critical minerals and rare earths", NULL, 0 },
	{ "ree-core", "Critical minerals",
	    "Критически важные минералы", NULL, 1 },
	{ "ree-core", "Critical minerals",
	    "关键矿产清单", NULL, 1 },
	{ "ree-core", "Critical minerals",
	    "關鍵礦產清單", NULL, 1 },
	{ "ree-core", "Critical minerals",
	    "Critical raw materials act", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "Mendeleev Valley fund", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "Mendeleyev Valley opens", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "Долина Менделеева", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "в Долине Менделеева", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "门捷列夫谷", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "門捷列夫谷", NULL, 1 },
	{ "ree-russia", "Mendeleev Valley",
	    "Mendeleev's periodic table", NULL, 0 },
	{ "ree-russia", "Ksenia Shoigu",
	    "Ksenia Shoigu speaks", NULL, 1 },
	{ "ree-russia", "Ksenia Shoigu",
	    "Kseniya Shoygu speaks", NULL, 1 },
	{ "ree-russia", "Ksenia Shoigu",
	    "Ксения Шойгу", NULL, 1 },
	{ "ree-russia", "Ksenia Shoigu",
	    "Ксении Шойгу", NULL, 1 },
	{ "ree-russia", "Ksenia Shoigu",
	    "Sergei Shoigu", NULL, 0 },
	{ "ree-russia", "Shoigu on rare earths",
	    "Shoygu on rare earths", NULL, 1 },
	{ "ree-russia", "Shoigu on rare earths",
	    "Shoigu on rare earths", NULL, 1 },
	{ "ree-russia", "Shoigu on rare earths",
	    "Шойгу о редкоземельных металлах", NULL, 1 },
	{ "ree-russia", "Shoigu on rare earths",
	    "Shoigu visits the front", NULL, 0 },
	{ "ree-russia", "Rosatom on rare earths",
	    "Rosatom and rare earths", NULL, 1 },
	{ "ree-russia", "Rosatom on rare earths",
	    "Росатом и редкоземельные металлы", NULL, 1 },
	{ "ree-russia", "Rosatom on rare earths",
	    "Глава Росатома о РЗМ", NULL, 1 },
	{ "ree-russia", "Rosatom on rare earths",
	    "Росатомом подписано соглашение по РЗМ", NULL, 1 },
	{ "ree-russia", "Rosatom on rare earths",
	    "Rosatom builds a reactor", NULL, 0 },
	{ "ree-russia", "Rosatom on rare earths",
	    "俄罗斯国家原子能公司 稀土", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Путин о редкоземельных металлах", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Путину доложили о РЗМ", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Кремль и редкие земли", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Путина нет, но есть РЗМ рядом с путиной", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Рыбная путина и РЗМ", NULL, 0 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "Putin on rare earths", NULL, 1 },
	{ "ree-russia", "Putin or the Kremlin on rare earths",
	    "普京谈稀土", NULL, 1 },
	{ "ree-russia", "Manturov on rare earths",
	    "Мантуров: РЗМ", NULL, 1 },
	{ "ree-russia", "Manturov on rare earths",
	    "Manturov on rare earth output", NULL, 1 },
	{ "ree-russia", "Mishustin on rare earths",
	    "Мишустину доложили о редкоземельных металлах", NULL, 1 },
	{ "ree-russia", "Lovozero mine",
	    "Ловозерский ГОК", NULL, 1 },
	{ "ree-russia", "Lovozero mine",
	    "Ловозерского ГОКа", NULL, 1 },
	{ "ree-russia", "Solikamsk Magnesium Works",
	    "Solikamsk Magnesium Works", NULL, 1 },
	{ "ree-russia", "Rosatom mine to magnet",
	    "From mine to magnet", NULL, 1 },
	{ "ree-russia", "Rosatom mine to magnet",
	    "от добычи до магнитов", NULL, 1 },
	{ "ree-russia", "Russia and rare earths",
	    "Russia and rare earths", NULL, 1 },
	{ "ree-russia", "Russia and rare earths",
	    "Россия и редкоземельные металлы", NULL, 1 },
	{ "ree-russia", "Russia and rare earths",
	    "России нужны РЗМ", NULL, 1 },
	{ "ree-russia", "Russia and rare earths",
	    "Russia and oil", NULL, 0 },
	{ "ree-prc", "China and rare earths",
	    "China and rare earths", NULL, 1 },
	{ "ree-prc", "China and rare earths",
	    "Китай и редкоземельные металлы", NULL, 1 },
	{ "ree-prc", "China and rare earths",
	    "Китаю нужны РЗМ", NULL, 1 },
	{ "ree-prc", "China and rare earths",
	    "中国稀土", NULL, 1 },
	{ "ree-prc", "China and rare earths",
	    "中國稀土", NULL, 1 },
	{ "ree-prc", "China and rare earths",
	    "China and porcelain", NULL, 0 },
	{ "ree-prc", "China and rare earths",
	    "Fine china and rare earthenware", NULL, 0 },
	{ "ree-prc", "China Northern Rare Earth",
	    "China Northern Rare Earth profit", NULL, 1 },
	{ "ree-prc", "China Northern Rare Earth",
	    "北方稀土", NULL, 1 },
	{ "ree-prc", "China Rare Earth Group",
	    "China Rare Earth Group merger", NULL, 1 },
	{ "ree-prc", "China Rare Earth Group",
	    "中国稀土集团", NULL, 1 },
	{ "ree-prc", "China Rare Earth Group",
	    "中國稀土集團", NULL, 1 },
	{ "ree-prc", "PRC rare-earth export controls",
	    "China's export controls on rare earths", NULL, 1 },
	{ "ree-prc", "PRC rare-earth export controls",
	    "Export controls on rare earths", NULL, 0 },
	{ "ree-prc", "Export controls on rare earths elsewhere",
	    "Export controls on rare earths", NULL, 1 },
	{ "ree-prc", "Export controls on rare earths elsewhere",
	    "China's export controls on rare earths", NULL, 0 },
	{ "ree-prc", "MOFCOM on rare earths",
	    "MOFCOM on rare earths", NULL, 1 },
	{ "ree-prc", "MOFCOM on rare earths",
	    "商务部 稀土出口", NULL, 1 },
	{ "ree-prc", "MOFCOM on rare earths",
	    "美国商务部 稀土", NULL, 0 },
	{ "ree-prc", "Baotou on rare earths",
	    "Baotou rare earth park", NULL, 1 },
	{ "ree-prc", "Baotou on rare earths",
	    "包头稀土", NULL, 1 },
	{ "ree-prc", "Baotou on rare earths",
	    "包頭稀土", NULL, 1 },
	{ "ree-global", "Critical Minerals Summit",
	    "Critical Minerals Summit in Washington", NULL, 1 },
	{ "ree-global", "Tariffs and rare earths",
	    "Tariffs and rare earths", NULL, 1 },
	{ "ree-global", "Japan on rare earths",
	    "Japan on rare earths", NULL, 1 },
	{ "ree-global", "Japan on rare earths",
	    "Japan and trade", NULL, 0 },
	{ "ree-global", "Brazil on rare earths",
	    "Brazil rare earth project", NULL, 1 },
	{ "ree-central-asia", "Kazakhstan on rare earths",
	    "Kazakhstan rare earths", NULL, 1 },
	{ "ree-central-asia", "Kazakhstan on rare earths",
	    "Казахстан и редкоземельные металлы", NULL, 1 },
	{ "ree-central-asia", "Kazakhstan on rare earths",
	    "哈萨克斯坦 稀土", NULL, 1 },
	{ "ree-central-asia", "Kazakhstan on rare earths",
	    "Kazakhstan oil", NULL, 0 },
	{ "ree-central-asia", "Uzbekistan on rare earths",
	    "Uzbekistan critical minerals", NULL, 1 },
	{ "ree-iea", "IEA on rare earths",
	    "IEA on rare earths", NULL, 1 },
	{ "ree-iea", "IEA on rare earths",
	    "Birol on rare earths", NULL, 1 },
	{ "ree-iea", "IEA on rare earths",
	    "idea on rare earths", NULL, 0 },
	{ "ree-iea", "IEA Critical Minerals Outlook",
	    "Critical Minerals Outlook 2025", NULL, 1 },
	{ "ree-iea", "IEA on critical minerals",
	    "IEA on critical minerals", NULL, 1 },
	{ "ree-iea", "IEA on critical minerals",
	    "IEA on critical minerals and rare earths", NULL, 0 },
	{ "ree-core", "Rare earths mentioned",
	    "Рынок редкозе­мельных металлов", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Neo​dymium with a zero-width space", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "ＮＥＯＤＹＭＩＵＭ in full width", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Неодим с буквой Ё: НЕОДИМ", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Самарий и Самария", NULL, 1 },
	{ "ree-core", "Rare-earth element named",
	    "Самария — историческая область", NULL, 0 },
	{ "ree-core", "Rare-earth element named",
	    "цены на самарий", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "«Редкоземельные» металлы", NULL, 1 },
	{ "ree-core", "Rare earths mentioned",
	    "rare—earth with an em dash", NULL, 1 },
	{ "ree-russia", "Ksenia Shoigu",
	    "дочь Шойгу возглавила фонд", NULL, 1 },
	{ "ree-russia", "Siberianization",
	    "Siberianization of rare earths", NULL, 1 },
	{ "ree-prc", "The seven controlled rare earths",
	    "China restricts seven rare earths", NULL, 1 },
};

static struct watchset *
load(void)
{
	const char *top = getenv("top_srcdir");
	struct watchset *s = watchset_new();
	size_t i;

	for (i = 0; s && i < ELEMENTSOF(shipped); i++) {
		_cleanup_free_ char *path = xasprintf("%s/watchlists/%s.watch",
		    top ? top : ".", shipped[i]);
		_cleanup_free_ char *data = NULL;
		struct watchlist *w = NULL;
		struct diag d;
		size_t len = 0, k;

		if (read_file(path, 1 << 20, &data, &len) < 0) {
			ok(false, "read %s", path);
			continue;
		}
		diag_init(&d);
		if (watchlist_compile(data, len, path, &w, &d) < 0) {
			for (k = 0; k < d.n; k++)
				printf("# %s\n", d.msgs[k]);
			ok(false, "%s compiles", shipped[i]);
		} else
			ok(watchset_add(s, w) == 0, "%s compiles", shipped[i]);
		diag_done(&d);
	}
	return s;
}

/* Does (watchlist, alert) fire on the entry?  -1 on a matcher error. */
static int
fires(const struct watchset *s, const char *wl, const char *alert,
    const char *title, const char *body)
{
	struct hit *hits = NULL;
	struct entry e;
	size_t n = 0, i;
	int r, found = 0;

	memset(&e, 0, sizeof(e));
	e.title.s = (char *)title;
	e.content.s = (char *)body;
	r = match_entry(s, &e, &hits, &n);
	if (r < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(hits[i].watchlist, wl) == 0 &&
		    strcmp(hits[i].alert, alert) == 0)
			found = 1;
	hits_free(hits, n);
	return found;
}

static void
run_cases(const char *how, bool naive)
{
	struct watchset *s = load();
	size_t i, wrong = 0;

	if (!s)
		return;
	watchset_set_naive(s, naive);
	for (i = 0; i < ELEMENTSOF(cases); i++) {
		int got = fires(s, cases[i].watchlist, cases[i].alert,
		    cases[i].title, cases[i].body);

		if (got != cases[i].hit)
			wrong++;
		ok(got == cases[i].hit, "%s: %s '%s' %s on '%s'%s%s%s", how,
		    cases[i].watchlist, cases[i].alert,
		    cases[i].hit ? "fires" : "stays quiet", cases[i].title,
		    cases[i].body ? " / '" : "",
		    cases[i].body ? cases[i].body : "",
		    cases[i].body ? "'" : "");
	}
	printf("# %s: %zu of %zu cases wrong\n", how, wrong,
	    ELEMENTSOF(cases));
	watchset_free(s);
}

int
main(void)
{
	size_t i, hits = 0;

	for (i = 0; i < ELEMENTSOF(cases); i++)
		hits += cases[i].hit != 0;
	ok(ELEMENTSOF(cases) >= 150 && hits > 40 &&
	    ELEMENTSOF(cases) - hits > 40,
	    "%zu cases: %zu hits and %zu misses", ELEMENTSOF(cases), hits,
	    ELEMENTSOF(cases) - hits);
	run_cases("prefilter", false);
	run_cases("naive", true);
	if (setenv("REEWATCH_NO_JIT", "1", 1) < 0)
		ok(false, "setenv");
	run_cases("no JIT", false);
	return tap_done();
}
