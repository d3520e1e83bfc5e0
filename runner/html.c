/*
 * The page is one file with inline CSS and one inline script, no external
 * scripts or fonts, so it can be uploaded as a CI artifact and opened
 * offline. Without the script every row shows; with it the filter form
 * (problems only, family, result, id text, changed against the baseline)
 * hides rows, and its state lives in the URL fragment
 * (#family=mmu&result=fail,error) so a filtered view can be linked. A page
 * opened without a fragment shows the problems only: thousands of passing
 * rows would bury the few that matter (#all shows every row). Reasons are
 * text in the problems section and under each unexpected cell, and in
 * title attributes for the rest.
 */
#include "html.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "html_parts.h"
#include "outpath.h"

static const char css[] =
	"body{font-family:sans-serif;margin:1em;color:#222}"
	"table{border-collapse:collapse;font-size:13px;margin-bottom:1em}"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
	"th{background:#eee;position:sticky;top:0}"
	"td.id,td.img{font-family:monospace}td.img{color:#555}"
	".pass{background:#c8f0c8}.xfail{background:#e0ecc0}"
	".skip{background:#e8e8e8;color:#666}.fail{background:#f4a0a0}"
	".xpass{background:#f8d070}.error{background:#d070d0}"
	".either{background:#d8e8f4}"
	".none{color:#aaa}td.n{text-align:right}.unavail{color:#a00}"
	"td.new{outline:3px solid #c00;outline-offset:-3px;font-weight:bold}"
	"td.fixed{outline:3px solid #080;outline-offset:-3px}"
	"tr.new td.id{color:#c00}"
	"#filters{padding:.5em 0;border-bottom:1px solid #ccc}"
	"#filters label{margin-right:.6em}#shown{color:#555}"
	"nav a{margin-right:1em}"
	"table.about th{text-align:right;background:none;position:static}"
	".warn{background:#fde0a0;padding:.4em;font-weight:bold}"
	".note{background:#f4ecd0;padding:.4em}"
	"table.problems td{vertical-align:top}"
	"td small.why{display:block;font-size:11px;max-width:28em;"
	"white-space:normal}";

/*
 * Rows are shown when their family matches, one of their results is
 * checked, their id contains the text and, if asked, they changed.
 */
static const char script[] =
	"(function(){"
	"var F=document.getElementById('filters'),"
	"rows=document.querySelectorAll('#m tbody tr'),"
	"fam=document.getElementById('f-family'),"
	"txt=document.getElementById('f-text'),"
	"chg=document.getElementById('f-changed'),"
	"prob=document.getElementById('f-problems'),"
	"res=F.querySelectorAll('input[name=result]'),"
	"shown=document.getElementById('shown');"
	"function apply(){"
	"var want={},n=0,i,r,ok,rs,j,t=txt.value;"
	"for(i=0;i<res.length;i++)if(res[i].checked)want[res[i].value]=1;"
	"for(i=0;i<rows.length;i++){r=rows[i];"
	"ok=!fam.value||r.dataset.family===fam.value;"
	"if(ok&&t)ok=r.cells[0].textContent.indexOf(t)>=0;"
	"if(ok&&chg&&chg.checked)ok=r.dataset.changed==='1';"
	"if(ok&&prob.checked)ok=r.dataset.problem==='1';"
	"if(ok){rs=r.dataset.res.split(' ');ok=false;"
	"for(j=0;j<rs.length;j++)if(want[rs[j]])ok=true;}"
	"r.hidden=!ok;if(ok)n++;}"
	"shown.textContent=n+' of '+rows.length+' checks shown';"
	"shown.dataset.shown=n;}"
	"function save(){var s=[],w=[],i;"
	"if(fam.value)s.push('family='+fam.value);"
	"for(i=0;i<res.length;i++)if(res[i].checked)w.push(res[i].value);"
	"if(w.length<res.length)s.push('result='+w.join(','));"
	"if(txt.value)s.push('id='+encodeURIComponent(txt.value));"
	"if(chg&&chg.checked)s.push('changed=1');"
	"if(prob.checked)s.push('problems=1');"
	"if(!s.length)s.push('all');"
	"history.replaceState(null,'','#'+s.join('&'));apply();}"
	"function load(){var h=location.hash.slice(1),i,kv,k,v;"
	"prob.checked=!h;h=h.split('&');"
	"for(i=0;i<h.length;i++){kv=h[i].split('=');k=kv[0];"
	"v=decodeURIComponent(kv[1]||'');"
	"if(k==='family')fam.value=v;"
	"else if(k==='id')txt.value=v;"
	"else if(k==='changed'&&chg)chg.checked=v==='1';"
	"else if(k==='problems')prob.checked=v==='1';"
	"else if(k==='result'){var w=v.split(','),j;"
	"for(j=0;j<res.length;j++)res[j].checked=w.indexOf(res[j].value)>=0;"
	"}}}"
	"F.hidden=false;load();apply();"
	"F.addEventListener('input',save);F.addEventListener('change',save);"
	"addEventListener('hashchange',function(){load();apply();});"
	"})();";

int html_write(const char *path, const struct matrix *m,
	       const struct summary *s, const struct baseline_diff *diff,
	       const struct html_meta *meta, struct perr *e)
{
	static const struct html_meta none;
	struct outfile out;
	FILE *f;

	if (!meta)
		meta = &none;
	if (outpath_open(&out, path, e) < 0)
		return -1;
	f = out.f;
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
		"charset=\"utf-8\">\n<title>Popek conformance report"
		"</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Popek "
		"conformance report</h1>\n<nav><a href=\"#about\">about</a>"
		"<a href=\"#summary\">per target</a>%s<a "
		"href=\"#families\">per family</a>%s<a "
		"href=\"#matrix\">matrix</a></nav>\n",
		css, meta->now ? "<a href=\"#problems\">problems</a>" : "",
		diff ? "<a href=\"#baseline\">baseline</a>" : "");
	html_write_about(f, meta);
	html_write_summary(f, s);
	if (meta->now)
		html_write_problems(f, meta->now);
	html_write_families(f, m);
	if (diff)
		html_write_diff(f, diff, meta->fail_on_lost);
	html_write_filters(f, m, diff != NULL);
	html_write_matrix(f, m, diff);
	fprintf(f, "<script>%s</script>\n</body>\n</html>\n", script);
	return outpath_commit(&out, e);
}
