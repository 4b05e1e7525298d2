/*
 * charset_texts.c - see charset_texts.h.  The texts are the project's own
 * (short made-up local news), one per encoding, in the script the encoding
 * is for.  They avoid the few characters whose mapping differs between
 * iconv's tables and WHATWG's (the wave dash, fullwidth tilde).
 */
#include "charset/charset_texts.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

const charset_text charset_texts[CHARSET_TEXT_COUNT] = {
    {"EUC-KR",
     "EUC-KR",
     "euc-kr",
     "서울 도서관, 새벽까지 문을 여는 실험 시작",
     {"서울시는 다음 달부터 시립 도서관 세 곳을 새벽 두 시까지 열기로 했다고 밝혔다. 시험을 "
      "준비하는 학생과 늦게 퇴근하는 직장인이 조용히 책을 읽을 곳이 부족하다는 의견이 많았기 "
      "때문이다.",
      "도서관 측은 야간 운영에 필요한 인력을 새로 뽑고, 열람실 조명과 난방을 에너지 효율이 높은 "
      "장비로 바꿀 계획이다. 이용자가 적으면 석 달 뒤에 운영 시간을 다시 조정한다.",
      "시민들은 대체로 반기는 분위기다. 한 대학생은 집이 좁아서 밤에 공부할 곳이 없었는데 정말 "
      "다행이라고 말했다."}},
    {"EUC-JP",
     "EUC-JP",
     "euc-jp",
     "駅前の古い商店街に小さな映画館が戻ってきた",
     {"長いあいだ空き店舗だった建物を地元の若者たちが改装し、座席が四十ほどの映画館として再び営業"
      "を始めた。初日の上映には近所のお年寄りから子どもまで多くの人が集まった。",
      "運営する団体は、古い名作と地域で撮影された短編を交互に上映する予定だという。入場料は安く抑"
      "え、売り上げの一部を商店街の清掃や照明の修理に使う。",
      "館長は「映画を見たあとに商店街で食事をしてもらえれば、町全体が少しずつ元気になるはずです」"
      "と話している。"}},
    {"SHIFT_JIS",
     "Shift_JIS",
     "shift_jis",
     "雪の多い町で高校生が除雪ロボットを開発",
     {"冬になると毎日のように雪が積もる北国の町で、地元の工業高校の生徒たちが小型の除雪ロボットを"
      "作り上げた。歩道の雪を自動で集め、決められた場所まで運ぶことができる。",
      "生徒たちは一年かけて部品を選び、何度も試運転を重ねた。寒さで電池が弱くなる問題には、車体の"
      "内側に断熱材を貼ることで対応したという。",
      "町役場は来年の冬から通学路での試験運用を検討しており、高齢者の多い地区での活躍が期待されて"
      "いる。"}},
    {"GB18030",
     "gb18030",
     "gb18030",
     "山区小学迎来第一批志愿者老师",
     {"今年秋天，二十名刚毕业的大学生来到西南山区的一所小学，开始为期一年的支教工作。学校离最近的"
      "县城有三个小时的车程，过去只有四位老师负责全部课程。",
      "志愿者们除了讲授语文和数学，还开设了音乐、美术和科学实验课。不少孩子第一次用显微镜观察树叶"
      "，兴奋得不停提问。",
      "校长说，希望这样的项目能够坚持下去，让山里的孩子也能看到更广阔的世界。"}},
    {"BIG5",
     "Big5",
     "big5",
     "港口城市舉辦海洋環保市集",
     {"週末在港口廣場舉行的海洋環保市集吸引了上千名市民參加。攤位販售以回收漁網製成的背包，以及不"
      "含塑膠的清潔用品。",
      "主辦單位表示，近年海灘上的垃圾明顯增加，希望透過輕鬆的活動讓更多人了解減少一次性用品的重要"
      "。現場還有淨灘教學與兒童繪畫比賽。",
      "一位參加的家長說，孩子回家後主動提醒全家人自備購物袋，這是最讓人開心的改變。"}},
    {"KOI8-R",
     "KOI8-R",
     "koi8-r",
     "В городском парке высадили сто новых деревьев",
     {"В субботу жители района вместе с сотрудниками городской службы озеленения посадили в старом "
      "парке сто молодых лип и клёнов. Работа заняла весь день, но никто не ушёл раньше времени.",
      "Организаторы рассказали, что деревья выбирали с учётом местного климата, чтобы они легко "
      "перенесли первую зиму. Каждому саженцу присвоили номер, а за уходом будут следить "
      "школьники.",
      "Следующую посадку планируют провести весной на берегу реки."}},
    {"CP1251",
     "windows-1251",
     "windows-1251",
     "Сельская библиотека получила новые книги и компьютеры",
     {"Небольшая библиотека в деревне на севере области получила в подарок две тысячи книг и пять "
      "компьютеров. Теперь читатели могут не только брать книги домой, но и учиться работать с "
      "электронными каталогами.",
      "Заведующая библиотекой рассказала, что чаще всего сюда приходят пенсионеры и школьники. Для "
      "них по вечерам будут проводить бесплатные занятия по чтению и письму.",
      "Местные жители надеются, что библиотека станет настоящим центром общения."}},
    {"CP1252",
     "windows-1252",
     "windows-1252",
     "Le marché de Noël ouvre ses portes dès vendredi",
     {"Dès vendredi, une quarantaine d’exposants s’installeront sur la place de l’église pour "
      "vendre des décorations, des jouets en bois et des spécialités régionales. L’entrée reste "
      "gratuite, et le vin chaud coûtera 3 € la tasse.",
      "Les organisateurs ont prévu une patinoire éphémère et un concert de chorale chaque soir à "
      "dix-huit heures. « Nous voulons que les familles passent un moment agréable », explique la "
      "présidente de l’association.",
      "Le marché fermera ses portes le vingt-trois décembre, après la dernière représentation."}},
    {"ISO-8859-2",
     "ISO-8859-2",
     "iso-8859-2",
     "Nová cyklostezka spojí dvě sousední vesnice",
     {"Obec dokončila stavbu cyklostezky, která vede podél řeky a spojuje náves se sousední "
      "vesnicí. "
      "Cesta je dlouhá přibližně čtyři kilometry a je osvětlená i v noci.",
      "Starosta uvedl, že stezku budou využívat hlavně děti cestou do školy a senioři, kteří chodí "
      "na "
      "procházky. Na trase přibudou lavičky, stojany na kola a informační tabule o místní přírodě.",
      "Slavnostní otevření proběhne příští sobotu, pokud bude hezké počasí."}},
};

int charset_convert(const char *to, const char *s, fa_buf *out)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1) return -1;
    char *ip = (char *)s;
    size_t left = strlen(s);
    char tmp[4096];
    int rc = 0;
    while (left > 0 && rc == 0) {
        char *op = tmp;
        size_t ol = sizeof tmp;
        size_t r = iconv(cd, &ip, &left, &op, &ol);
        if (fa_buf_append(out, tmp, sizeof tmp - ol) < 0) rc = -1;
        if (r == (size_t)-1 && errno != E2BIG) rc = -1;
    }
    iconv_close(cd);
    return rc;
}

void charset_body_text(const charset_text *t, fa_buf *out)
{
    for (int i = 0; i < 3; i++) {
        fa_buf_puts(out, t->paras[i]);
        fa_buf_puts(out, "\n");
    }
}

static const char *http_for(const charset_text *t, enum charset_decl decl)
{
    switch (decl) {
    case DECL_HTTP:
        return t->label;
    case DECL_WRONG_UTF8:
        return "utf-8";
    case DECL_WRONG_LATIN:
        return "iso-8859-1";
    default:
        return "";
    }
}

int charset_feed(const charset_text *t, enum charset_decl decl, fa_buf *out, const char **http)
{
    fa_buf u;
    fa_buf_init(&u, 1 << 20);
    const char *label = decl == DECL_DOC ? t->label : decl == DECL_WRONG_DOC ? "utf-8" : NULL;
    fa_buf_printf(&u, "<?xml version=\"1.0\"%s%s%s?>\n", label ? " encoding=\"" : "",
                  label ? label : "", label ? "\"" : "");
    fa_buf_puts(&u, "<rss version=\"2.0\"><channel><title>Local news</title>"
                    "<link>http://example.test/</link>\n<item><title>");
    fa_buf_puts(&u, t->title);
    fa_buf_puts(&u, "</title><link>http://example.test/story/1</link><guid>story-1</guid>"
                    "<description>");
    for (int i = 0; i < 3; i++) {
        fa_buf_puts(&u, t->paras[i]);
        fa_buf_puts(&u, i < 2 ? "\n" : "");
    }
    fa_buf_puts(&u, "</description></item>\n</channel></rss>\n");
    int rc = charset_convert(t->iconv, u.data, out);
    fa_buf_free(&u);
    *http = http_for(t, decl);
    return rc;
}

int charset_page(const charset_text *t, enum charset_decl decl, fa_buf *out, const char **http)
{
    fa_buf u;
    fa_buf_init(&u, 1 << 20);
    fa_buf_puts(&u, "<!DOCTYPE html>\n<html><head>");
    if (decl == DECL_DOC) fa_buf_printf(&u, "<meta charset=\"%s\">", t->label);
    if (decl == DECL_WRONG_DOC)
        fa_buf_puts(&u, "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">");
    fa_buf_printf(&u, "<title>%s</title>\n<style>body { margin: 0 }</style></head>\n<body>\n",
                  t->title);
    fa_buf_puts(&u, "<nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/news\">News</a>"
                    "</li></ul></nav>\n<main><article>\n<h1>");
    fa_buf_puts(&u, t->title);
    fa_buf_puts(&u, "</h1>\n");
    for (int i = 0; i < 3; i++)
        fa_buf_printf(&u, "<p>%s</p>\n", t->paras[i]);
    fa_buf_puts(&u, "</article></main>\n<footer><p>Copyright example.test</p></footer>\n"
                    "</body></html>\n");
    int rc = charset_convert(t->iconv, u.data, out);
    fa_buf_free(&u);
    *http = http_for(t, decl);
    return rc;
}
